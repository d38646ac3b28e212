/**
 * Benchmark of whole decisions over the real stack: three SynodNodes in this process, talking libp2p
 * (TCP, pnet, Noise, yamux) over loopback, each fsyncing its state log. Prints latency and
 * throughput; asserts nothing.
 *   npm run bench:cluster [-- --questions 200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Signing } from '../src/node/identity/signing.ts';
import { SynodNode } from '../src/node/synod-node.ts';

/** Signature costs, counted by wrapping the signer of all three nodes (one process). */
const signatures = { made: 0, checked: 0, ms: 0 };
for (const [method, counter] of [
  ['sign', 'made'],
  ['verify', 'checked'],
] as const) {
  const original = Signing.prototype[method] as (...args: unknown[]) => unknown;
  Object.defineProperty(Signing.prototype, method, {
    value(this: Signing, ...args: unknown[]) {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        signatures.ms += performance.now() - t;
        signatures[counter]++;
      }
    },
  });
}
const signatureSnapshot = () => ({ ...signatures });

const { values } = parseArgs({ options: { questions: { type: 'string', default: '200' } } });
const count = Number(values.questions);
const base = await mkdtemp(join(tmpdir(), 'synod-bench-cluster-'));
const start = (name: string) =>
  SynodNode.start({
    dataDir: join(base, name),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    // A benchmark asks far more questions a minute than a person: lift the per-member limits.
    questionLimits: { perMinute: Number.POSITIVE_INFINITY, total: Number.POSITIVE_INFINITY },
  });
const nodes = await Promise.all(['a', 'b', 'c'].map(start));
const [a, b, c] = nodes as [SynodNode, SynodNode, SynodNode];

try {
  await a.createGroup({ groupName: 'bench', displayName: 'a' });
  const { invite } = await a.invite();
  await b.joinGroup({ invite, displayName: 'b' });
  await c.joinGroup({ invite, displayName: 'c' });
  while (
    (await a.peers()).filter((p) => p.online).length < 2 ||
    (await b.peers()).filter((p) => p.online).length < 2
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const latencies: number[] = [];
  const signedBefore = signatureSnapshot();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const q = await a.createQuestion({ title: `question ${i}`, options: [] });
    const t = performance.now();
    const result = await a.propose({ questionId: q.id, option: `option ${i}` });
    if (result.state !== 'decided') throw new Error(`question ${i} did not decide`);
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  const signed = signatureSnapshot();
  const made = (signed.made - signedBefore.made) / count;
  const checked = (signed.checked - signedBefore.checked) / count;
  const signingMs = signed.ms - signedBefore.ms;
  latencies.sort((x, y) => x - y);
  const at = (p: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(2);
  console.log(
    `3 nodes on loopback, ${count} questions asked and decided one after another in ${seconds.toFixed(2)} s`,
  );
  console.log(
    `propose → decided (both Paxos phases, fsync at every acceptor): p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms`,
  );

  console.log(
    `signatures per question (ask + decide, all three nodes): ${made.toFixed(1)} made, ${checked.toFixed(1)} checked; ` +
      `${((signingMs * 1000) / (signed.made - signedBefore.made + signed.checked - signedBefore.checked)).toFixed(0)} µs each on average, ` +
      `${(signingMs / count).toFixed(2)} ms of CPU per question, ${((signingMs / (seconds * 1000)) * 100).toFixed(1)}% of the elapsed time`,
  );

  // Concurrent proposals on many questions: group commit shares fsyncs between them.
  const questions = await Promise.all(
    Array.from({ length: 100 }, (_, i) => a.createQuestion({ title: `batch ${i}`, options: [] })),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const batchSigned = signatureSnapshot();
  const t = performance.now();
  await Promise.all(questions.map((q, i) => [a, b, c][i % 3]?.propose({ questionId: q.id, option: 'x' })));
  const batchSeconds = (performance.now() - t) / 1000;
  console.log(
    `100 questions proposed at once from all three nodes: decided in ${batchSeconds.toFixed(2)} s (${(100 / batchSeconds).toFixed(0)} decisions/s)`,
  );
  const batchMs = signatureSnapshot().ms - batchSigned.ms;
  console.log(
    `  signing and checking took ${(batchMs / 100).toFixed(2)} ms of CPU per decision, ${((batchMs / (batchSeconds * 1000)) * 100).toFixed(1)}% of the elapsed time (one process, two cores)`,
  );
} finally {
  await Promise.all(nodes.map((n) => n.stop()));
  await rm(base, { recursive: true, force: true });
}
