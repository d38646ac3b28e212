/**
 * Benchmark of the state log: fsynced commits per second one at a time, records per second when many
 * writes arrive together (group commit), and what compaction costs when the live state is large (it
 * must grow with the commits, not with the state). Prints figures; asserts nothing.
 *   npm run bench:storage
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DurableDecision } from '../src/paxos/index.ts';
import { StateLog, nodeFs, paxosStateOptions, type StorageFs } from '../src/storage/index.ts';

const record = (i: number): DurableDecision => ({
  id: `question-${i % 100}`,
  config: { acceptors: ['12D3KooWA', '12D3KooWB', '12D3KooWC'], learners: [] },
  promised: { round: i, node: '12D3KooWA' },
  accepted: { ballot: { round: i, node: '12D3KooWA' }, value: 'Thursday 10:00' },
  roundUsed: i,
  proposal: null,
  chosen: null,
  certificate: null,
  conflict: null,
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

  // A live state of 2,000 records (about 1 MB) under a 256 KiB threshold: before compaction was
  // amortised, every commit past the threshold wrote (and threw away) a snapshot of the whole state.
  const large = await mkdtemp(join(tmpdir(), 'synod-bench-'));
  let snapshots = 0;
  let snapshotBytes = 0;
  const counting: StorageFs = {
    ...nodeFs,
    async open(path, flags, mode) {
      const file = await nodeFs.open(path, flags, mode);
      if (!path.endsWith('.tmp')) return file;
      snapshots++;
      return {
        write: async (buffer, offset, length, position) => {
          const done = await file.write(buffer, offset, length, position);
          snapshotBytes += done.bytesWritten;
          return done;
        },
        datasync: () => file.datasync(),
        sync: () => file.sync(),
        truncate: (length) => file.truncate(length),
        close: () => file.close(),
      };
    },
  };
  try {
    const big = (i: number) => ({ ...record(i), id: `question-${i % 2000}`, proposal: 'x'.repeat(300) });
    const opened = await StateLog.open(large, {
      ...paxosStateOptions(true),
      compactAtBytes: 256 * 1024,
      fs: counting,
    });
    await opened.log.write(Array.from({ length: 2000 }, (_, i) => big(i)));
    snapshots = 0;
    snapshotBytes = 0;
    const commits = 2000;
    started = performance.now();
    for (let i = 0; i < commits; i++) await opened.log.write([big(i)]);
    seconds = (performance.now() - started) / 1000;
    await opened.log.close();
    console.log(
      `large live state (2,000 records, 256 KiB threshold): ${commits} commits in ${seconds.toFixed(2)} s, ${snapshots} snapshots written (${(snapshotBytes / 1e6).toFixed(1)} MB)`,
    );
  } finally {
    await rm(large, { recursive: true, force: true });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
