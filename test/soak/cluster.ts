/**
 * The soak's daemons: real `synod daemon` processes (the compiled JavaScript in out/), one in each
 * network namespace, each with its relay (relay.ts) for the API. Starts, kills (-9), pauses and
 * resumes them, and records what their relays report into the history.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DecisionRule } from '../../src/api/types.ts';
import type { SoakBug } from './bugs.ts';
import type { Shown, Stamp } from './history.ts';
import type { RelayCall, RelayRequest } from './relay.ts';
import type { SoakNetwork } from './network.ts';

const DAEMON = new URL('../../out/src/daemon/main.js', import.meta.url).pathname;
const RELAY = new URL('./relay.ts', import.meta.url).pathname;
const BUG_HOOK = new URL('./bug-hook.ts', import.meta.url).pathname;

export type NodeState = 'down' | 'starting' | 'up' | 'paused';

export type RelayAnswer =
  | {
      readonly ok: true;
      readonly sent: Stamp;
      readonly stamp: Stamp;
      readonly value: unknown;
      readonly killed: boolean;
    }
  | {
      readonly ok: false;
      readonly sent: Stamp;
      readonly stamp: Stamp;
      readonly error: string;
      readonly code?: string;
    };

export interface ClusterHooks {
  /** A `question` event from node i's stream. */
  event(node: number, shown: Shown, stamp: Stamp): void;
  /**
   * Node i's daemon ended: `killed` when by SIGKILL, which only the soak sends (itself, or through the
   * relay right after an answer or an event); anything else is the daemon's own doing.
   */
  exited(node: number, killed: boolean, detail: string): void;
  /** The relay killed node i's daemon right after an event that showed an outcome. */
  killedAfterEvent(node: number): void;
  /** Node i's relay ended: the soak cannot go on without it. */
  relayDied(node: number, detail: string): void;
}

/** One node's relay: requests out, answers and events in. */
class Relay {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (answer: RelayAnswer) => void>();
  #next = 1;
  #dead: string | null = null;

  constructor(network: SoakNetwork, node: number, dataDir: string, hooks: ClusterHooks) {
    this.#child = spawn('ip', ['netns', 'exec', network.net.node(node), process.execPath, RELAY, dataDir], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.#child.on('exit', (code, signal) => {
      this.#dead = `node ${node}'s relay ended (exit code ${code}, signal ${signal})`;
      for (const resolve of this.#pending.values()) resolve(this.#failure(this.#dead));
      this.#pending.clear();
      hooks.relayDied(node, this.#dead);
    });
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const message = JSON.parse(line) as
        | (RelayAnswer & { id: number })
        | { event: Shown; stamp: Stamp }
        | { armed: 'killed' | 'expired'; stamp: Stamp };
      if ('event' in message) hooks.event(node, message.event, message.stamp);
      else if ('armed' in message) {
        if (message.armed === 'killed') hooks.killedAfterEvent(node);
      } else {
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
      }
    });
  }

  /** Resolves within the request's timeout and a little more, whatever happens to the relay. */
  call(
    call: RelayCall,
    input: unknown,
    options: Omit<RelayRequest, 'id' | 'call' | 'input'>,
  ): Promise<RelayAnswer> {
    if (this.#dead !== null) return Promise.resolve(this.#failure(this.#dead));
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(this.#failure(`the relay did not answer within ${options.timeoutMs + 5_000} ms`));
      }, options.timeoutMs + 5_000);
      this.#pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.#child.stdin?.write(`${JSON.stringify({ id, call, input, ...options })}\n`);
    });
  }

  #failure(error: string): RelayAnswer {
    const stamp = { seq: 0, at: Date.now() };
    return { ok: false, sent: stamp, stamp, error };
  }

  arm(pid: number, timeoutMs: number): void {
    this.#child.stdin?.write(`${JSON.stringify({ arm: pid, timeoutMs })}\n`);
  }

  close(): void {
    this.#dead ??= 'closed';
    this.#child.removeAllListeners('exit');
    this.#child.stdin?.end();
    this.#child.kill('SIGKILL');
  }
}

export class SoakNode {
  readonly index: number;
  readonly dataDir: string;
  state: NodeState = 'down';
  /** Bumped at each start: timers of an earlier life of the daemon do nothing. */
  life = 0;
  #daemon: ChildProcess | null = null;
  /** Made at the first start, once the namespace exists. */
  #relay: Relay | null = null;
  readonly #network: SoakNetwork;
  readonly #hooks: ClusterHooks;
  readonly #bug: SoakBug | null;
  readonly #log: string;

  constructor(index: number, base: string, network: SoakNetwork, bug: SoakBug | null, hooks: ClusterHooks) {
    this.index = index;
    this.dataDir = join(base, `n${index}`);
    this.#log = join(base, `n${index}.log`);
    this.#network = network;
    this.#hooks = hooks;
    this.#bug = bug;
  }

  get pid(): number | null {
    return this.#daemon?.pid ?? null;
  }

  get logFile(): string {
    return this.#log;
  }

  /** Starts the daemon and waits until its API answers (at most `timeoutMs`). */
  async start(timeoutMs = 30_000): Promise<void> {
    this.state = 'starting';
    this.life++;
    this.#relay ??= new Relay(this.#network, this.index, this.dataDir, this.#hooks);
    const log = openSync(this.#log, 'a');
    const args = [
      ...(this.#bug === null ? [] : ['--import', BUG_HOOK]),
      DAEMON,
      'daemon',
      '--data-dir',
      this.dataDir,
    ];
    const child = spawn(
      'ip',
      ['netns', 'exec', this.#network.net.node(this.index), process.execPath, ...args],
      {
        stdio: ['ignore', log, log],
        env: { ...process.env, ...(this.#bug === null ? {} : { SYNOD_SOAK_BUG: this.#bug }) },
      },
    );
    closeSync(log);
    this.#daemon = child;
    const life = this.life;
    child.once('exit', (code, signal) => {
      if (this.life !== life) return;
      this.#daemon = null;
      this.state = 'down';
      this.#hooks.exited(this.index, signal === 'SIGKILL', `exit code ${code}, signal ${signal}`);
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#daemon !== child)
        throw new Error(`node ${this.index}'s daemon exited while starting (see ${this.#log})`);
      const answer = await this.call('status', undefined, { timeoutMs: 2_000 });
      if (answer.ok) return;
      if (Date.now() > deadline)
        throw new Error(
          `node ${this.index}'s daemon did not answer within ${timeoutMs} ms (see ${this.#log})`,
        );
      await sleep(100);
    }
  }

  /** A started node is up once the soak lets it onto the network (unless it died meanwhile). */
  started(): void {
    if (this.state === 'starting') this.state = 'up';
  }

  /** kill -9, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#daemon;
    if (child === null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  pause(): void {
    this.#daemon?.kill('SIGSTOP');
    this.state = 'paused';
  }

  resume(): void {
    this.#daemon?.kill('SIGCONT');
    if (this.state === 'paused') this.state = 'up';
  }

  call(
    call: RelayCall,
    input: unknown,
    options: { timeoutMs: number; rule?: DecisionRule; killAfter?: boolean },
  ): Promise<RelayAnswer> {
    const pid = this.pid;
    if (this.#relay === null) throw new Error(`node ${this.index} was never started`);
    return this.#relay.call(call, input, {
      timeoutMs: options.timeoutMs,
      ...(options.rule === undefined ? {} : { rule: options.rule }),
      ...(options.killAfter === true && pid !== null ? { killAfter: pid } : {}),
    });
  }

  /** Kill the daemon right after its next event that shows an outcome (within `timeoutMs`). */
  armKill(timeoutMs: number): void {
    const pid = this.pid;
    if (pid !== null) this.#relay?.arm(pid, timeoutMs);
  }

  close(): void {
    this.#relay?.close();
    if (this.#daemon !== null) {
      this.#daemon.kill('SIGCONT');
      this.#daemon.kill('SIGKILL');
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
