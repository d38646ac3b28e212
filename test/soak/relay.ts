/**
 * The soak's hands inside one node's network namespace. The daemon's API listens on 127.0.0.1 of its
 * own namespace, which the soak (in the machine's namespace) cannot reach; rather than bridge sockets
 * across namespaces, the soak starts this small process with `ip netns exec` beside the daemon, and
 * talks to it over stdin/stdout, one JSON object a line. It calls the API with HttpSynodClient, follows
 * the event stream, reduces what the node shows to what the checker needs (history.ts), and stamps
 * everything with its own sequence, so that one node's answers, events and polls are exactly ordered.
 * It lives for the whole run: the daemon's port and token stay the same across its restarts.
 *
 *   node test/soak/relay.ts <data dir>
 *
 * In:  {"id": 1, "call": "questions", "input": …, "rule": "vote", "killAfter": pid, "timeoutMs": 15000}
 *      {"arm": pid, "timeoutMs": 5000}: kill the daemon right after its next event showing an outcome
 * Out: {"id": 1, "sent": stamp, "stamp": stamp, "ok": true, "value": …, "killed": true}
 *      {"event": Shown, "stamp": stamp}, {"armed": "killed" | "expired", "stamp": stamp}
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HttpSynodClient } from '../../src/api/http-client.ts';
import type { DecisionRule, ProposeResult, QuestionView, SynodApi } from '../../src/api/types.ts';
import { answeredOutcome, shown, type Stamp } from './history.ts';

export interface RelayRequest {
  readonly id: number;
  readonly call: RelayCall;
  readonly input?: unknown;
  /** The question's rule, to read the outcome in a proposal's or a close's answer. */
  readonly rule?: DecisionRule;
  /** The daemon's pid: killed (SIGKILL) the moment the answer arrives, before it is even reported. */
  readonly killAfter?: number;
  readonly timeoutMs: number;
}

export type RelayCall =
  | 'status'
  | 'peers'
  | 'createGroup'
  | 'invite'
  | 'joinGroup'
  | 'questions'
  | 'createQuestion'
  | 'propose'
  | 'vote'
  | 'bid'
  | 'close';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: relay.ts <data dir>');

let seq = 0;
const stamp = (): Stamp => ({ seq: ++seq, at: Date.now() });
const out = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

let client: HttpSynodClient | null = null;
let unsubscribe: (() => void) | null = null;
let armed: { pid: number; timer: NodeJS.Timeout } | null = null;

/** The client of the daemon's API, made again if its port changed (it normally never does). */
async function api(): Promise<SynodApi> {
  const info = JSON.parse(await readFile(join(dataDir as string, 'api.json'), 'utf8')) as { port: number };
  const token = (await readFile(join(dataDir as string, 'api-token'), 'utf8')).trim();
  const url = `http://127.0.0.1:${info.port}`;
  if (client === null || client.baseUrl !== url) {
    unsubscribe?.();
    client = new HttpSynodClient(url, token);
    unsubscribe = client.subscribe((event) => {
      if (event.type !== 'question') return;
      const q = shown(event.question);
      out({ event: q, stamp: stamp() });
      if (armed !== null && q.outcome !== null) {
        kill(armed.pid);
        clearTimeout(armed.timer);
        armed = null;
        out({ armed: 'killed', stamp: stamp() });
      }
    });
  }
  return client;
}

function kill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** The answer reduced to what the checker reads (a poll of 100 questions would be 400 KB otherwise). */
function reduce(request: RelayRequest, value: unknown): unknown {
  switch (request.call) {
    case 'questions':
      return (value as QuestionView[]).map(shown);
    case 'createQuestion':
    case 'vote':
    case 'bid':
      return shown(value as QuestionView);
    case 'propose':
    case 'close': {
      const result = value as ProposeResult;
      return { state: result.state, outcome: answeredOutcome(request.rule ?? 'quick', result) };
    }
    default:
      return value;
  }
}

async function handle(request: RelayRequest): Promise<void> {
  const sent = stamp();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
  });
  try {
    const node = await api();
    const call = node[request.call] as (input?: unknown) => Promise<unknown>;
    const value = await Promise.race([call.call(node, request.input), timeout]);
    // The kill comes first: nothing the daemon does after its answer may reach the disk.
    const killed = request.killAfter === undefined ? false : kill(request.killAfter);
    out({ id: request.id, sent, stamp: stamp(), ok: true, value: reduce(request, value), killed });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    out({
      id: request.id,
      sent,
      stamp: stamp(),
      ok: false,
      error: error instanceof Error ? error.message : String(error),
      ...(typeof code === 'string' ? { code } : {}),
    });
  } finally {
    clearTimeout(timer);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line) as RelayRequest | { arm: number; timeoutMs: number };
  if ('arm' in message) {
    if (armed !== null) clearTimeout(armed.timer);
    const timer = setTimeout(() => {
      armed = null;
      out({ armed: 'expired', stamp: stamp() });
    }, message.timeoutMs);
    armed = { pid: message.arm, timer };
    return;
  }
  void handle(message);
});
// The soak closes stdin at the end (or dies): then this relay has nothing more to do.
process.stdin.on('end', () => {
  unsubscribe?.();
  process.exit(0);
});
