/**
 * What history costs: three real daemons on loopback whose catalogs hold N questions (half decided,
 * half never proposed on, like questions a member created and nobody answered), restarted. Prints, per
 * N: time until the API answers, GET /api/status and GET /api/questions latency, CPU while the members
 * catch up after the restart and CPU once idle, and resident memory. Asserts nothing.
 *   npm run bench:catalog [-- --sizes 10,1000,10000 --idle-after 75]
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { QuestionDefinition } from '../src/model/question.ts';
import { catalogOptions, type QuestionRecord } from '../src/node/questions/catalog.ts';
import { Signing } from '../src/node/identity/signing.ts';
import { VoteChecks } from '../src/node/votes/vote-checks.ts';
import type { DurableDecision } from '../src/paxos/index.ts';
import { StateLog, paxosStateOptions } from '../src/storage/index.ts';
import { DaemonGroup, sleep, type DaemonProcess } from '../test/helpers/daemons.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,1000,10000' },
    'idle-after': { type: 'string', default: '75' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const idleAfterS = Number(values['idle-after']);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds a process has used so far (user + system). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

async function rssMb(pid: number): Promise<number> {
  const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

async function median(times: number, call: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await call();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)] ?? 0;
}

/** Writes `count` questions straight into each stopped daemon's catalog and acceptor state. */
async function fillCatalogs(daemons: readonly DaemonProcess[], peers: readonly string[], count: number) {
  const [creator] = peers as [string];
  // Signed by the members themselves, as the daemons would have signed them.
  const signings = await Promise.all(
    daemons.map(async (d) => {
      const key = privateKeyFromProtobuf(await readFile(join(d.dataDir, 'identity.key')));
      const config = JSON.parse(await readFile(join(d.dataDir, 'group.json'), 'utf8')) as {
        group: { id: string };
      };
      return new Signing(config.group.id, key);
    }),
  );
  const creatorChecks = new VoteChecks(signings[0] as Signing);
  const definitions: QuestionDefinition[] = Array.from({ length: count }, (_, i) =>
    creatorChecks.signDefinition({
      id: i.toString(16).padStart(32, '0'),
      title: `Question ${i}: where do we meet for the ${i}th time?`,
      options: ['The café', 'The park', 'The library'],
      allowOther: true,
      createdBy: creator,
      createdAt: Date.now() - (count - i) * 1000,
      acceptors: [...peers],
      learners: [],
      rule: 'quick',
      deadline: null,
    }),
  );
  for (const d of daemons) {
    const { log: catalog } = await StateLog.open(d.dataDir, catalogOptions(true));
    const { log: state } = await StateLog.open(d.dataDir, paxosStateOptions(false));
    for (let from = 0; from < count; from += 500) {
      const batch = definitions.slice(from, from + 500);
      const decidedAt = Date.now();
      await catalog.write(
        batch.map((definition, i): QuestionRecord => ({
          id: definition.id,
          definition,
          decidedAt: (from + i) % 2 === 0 ? decidedAt : null,
        })),
      );
      await state.write(
        batch.map((definition, i): DurableDecision => {
          const decided = (from + i) % 2 === 0;
          const value = creatorChecks.propose(definition, 'The park', creator);
          const ballot = { round: 1, node: creator };
          const decision = definition.id;
          const accepted = peers.map((acceptor, k) => ({
            acceptor,
            signature: (signings[k] as Signing).sign({ kind: 'accepted', decision, ballot, value }),
          }));
          return {
            id: definition.id,
            config: { acceptors: definition.acceptors, learners: [] },
            promised: decided ? ballot : null,
            accepted: decided ? { ballot, value } : null,
            roundUsed: 0,
            proposal: null,
            chosen: decided ? value : null,
            certificate: decided ? { ballot, accepted, promises: [] } : null,
            conflict: null,
          };
        }),
      );
    }
    await catalog.close();
    await state.close();
  }
}

const rows: string[][] = [];
for (const size of sizes) {
  // Fixed ports: all three restart at once, and without mDNS they find each other only where they were.
  const ports = await Promise.all([0, 1, 2].map(freePort));
  const group = await DaemonGroup.start(3, {
    extraArgs: (i) => ['--listen', `/ip4/127.0.0.1/tcp/${ports[i]}`],
  });
  try {
    const peers = await Promise.all(group.daemons.map(async (d) => (await d.client.status()).peerId));
    await Promise.all(group.daemons.map((d) => d.stop()));
    await fillCatalogs(group.daemons, peers, size);

    const startMs = await Promise.all(
      group.daemons.map(async (d) => {
        const t = performance.now();
        await d.start();
        return performance.now() - t;
      }),
    );
    const pids = group.daemons.map((d) => d.process?.pid ?? 0);
    const cpuAtStart = await Promise.all(pids.map(cpuSeconds));
    await group.waitForMesh(120_000);
    const [first] = group.daemons as [DaemonProcess];
    const statusMs = await median(21, () => first.client.status());
    const questionsMs = await median(5, () => first.client.questions());
    const questions = await first.client.questions();
    const decided = questions.filter((q) => q.outcome !== null).length;

    await sleep(30_000);
    const cpuAfter30 = await Promise.all(pids.map(cpuSeconds));
    const elapsed = 30 + statusMs / 1000;
    await sleep(Math.max(0, idleAfterS - elapsed) * 1000);
    const idleFrom = await Promise.all(pids.map(cpuSeconds));
    await sleep(10_000);
    const idleTo = await Promise.all(pids.map(cpuSeconds));
    const rss = await Promise.all(pids.map(rssMb));
    const traffic = await Promise.all(group.daemons.map(async (d) => (await d.client.status()).traffic));

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const percent = (to: number[], from: number[], seconds: number) =>
      `${((mean(to) - mean(from)) / seconds) * 100}`.slice(0, 4);
    rows.push([
      String(size),
      `${Math.max(...startMs).toFixed(0)}`,
      statusMs.toFixed(1),
      questionsMs.toFixed(0),
      `${questions.length} (${decided} decided)`,
      percent(cpuAfter30, cpuAtStart, 30),
      percent(idleTo, idleFrom, 10),
      mean(rss).toFixed(0),
      `${mean(traffic.map((t) => t.sent)).toFixed(0)}`,
    ]);
  } finally {
    await group.stop();
  }
}

const header = [
  'questions',
  'start → API (ms, slowest of 3)',
  'status (ms)',
  'questions (ms)',
  'listed',
  'CPU first 30 s (%)',
  `CPU idle at ${idleAfterS} s (%)`,
  'RSS (MB)',
  'messages sent per node',
];
console.log('Three daemons on loopback, restarted with N questions in their catalogs (half decided):\n');
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
