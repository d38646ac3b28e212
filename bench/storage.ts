/**
 * Benchmark of the state log: fsynced commits per second one at a time, and records per second when
 * many writes arrive together (group commit). Prints figures; asserts nothing.
 *   npm run bench:storage
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DurableDecision } from '../src/paxos/index.ts';
import { StateLog, paxosStateOptions } from '../src/storage/index.ts';

const record = (i: number): DurableDecision => ({
  id: `question-${i % 100}`,
  config: { acceptors: ['12D3KooWA', '12D3KooWB', '12D3KooWC'], learners: [] },
  promised: { round: i, node: '12D3KooWA' },
  accepted: { ballot: { round: i, node: '12D3KooWA' }, value: 'Thursday 10:00' },
  roundUsed: i,
  proposal: null,
  chosen: null,
});

const dir = await mkdtemp(join(tmpdir(), 'synod-bench-'));
try {
  const { log } = await StateLog.open(dir, paxosStateOptions(true));
  const sequential = 300;
  let started = performance.now();
  for (let i = 0; i < sequential; i++) await log.write([record(i)]);
  let seconds = (performance.now() - started) / 1000;
  console.log(
    `sequential: ${sequential} fsynced commits in ${seconds.toFixed(2)} s = ${(sequential / seconds).toFixed(0)} commits/s (${((seconds / sequential) * 1000).toFixed(2)} ms each)`,
  );

  for (const concurrency of [10, 100, 1000]) {
    const rounds = 20;
    started = performance.now();
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        Array.from({ length: concurrency }, (_, i) => log.write([record(r * concurrency + i)])),
      );
    }
    seconds = (performance.now() - started) / 1000;
    const total = rounds * concurrency;
    console.log(
      `group commit, ${concurrency} concurrent writers: ${total} records in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)} records/s`,
    );
  }
  await log.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
