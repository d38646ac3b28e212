/**
 * Compaction's cost grows with the work, not with the history: a log whose live state is larger than
 * the threshold is rewritten once each time it has doubled, not at every commit. Counted in snapshot
 * writes and bytes on a disk in memory, never in time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STATE_FILE, StateLog } from '../../src/storage/index.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';
import { DIR, model, paxosOn, record } from '../helpers/state-log-fixtures.ts';

const STATE = `${DIR}/${STATE_FILE}`;
const TEMP = `${STATE}.tmp`;

describe('state log compaction', () => {
  it('a live state larger than the threshold is not rewritten at every commit', async () => {
    const fs = new MemoryFs();
    const { log } = await StateLog.open(DIR, paxosOn(fs, true, 4_000));
    // 40 questions with long values: a snapshot of about 30 KB, far past the 4 KB threshold.
    const questions = 40;
    const initial = Array.from({ length: questions }, (_, i) => record(`q${i}`, 1, 300));
    await log.write(initial);
    const opsBefore = fs.ops.length;
    const commits = 300;
    const batches = [initial];
    let snapshotSize = 0;
    let largestLog = 0;
    for (let i = 0; i < commits; i++) {
      const compactionsBefore = fs.ops.filter((o) => o.op === 'rename').length;
      const batch = [record(`q${i % questions}`, i + 2, 300)];
      await log.write(batch);
      batches.push(batch);
      const size = fs.content(STATE)?.length ?? 0;
      if (fs.ops.filter((o) => o.op === 'rename').length > compactionsBefore) snapshotSize = size;
      largestLog = Math.max(largestLog, size);
    }
    await log.close();
    const ops = fs.ops.slice(opsBefore);
    const snapshots = ops.filter((o) => o.op === 'open' && o.path === TEMP).length;
    const bytesTo = (path: string) =>
      ops.reduce((sum, o) => sum + (o.op === 'write' && o.path === path ? o.end - o.start : 0), 0);
    const appended = bytesTo(STATE);
    const rewritten = bytesTo(TEMP);
    const figures = `${snapshots} snapshots of ${rewritten} bytes for ${commits} commits of ${appended} bytes`;
    assert.ok(snapshots >= 2, `the log did compact: ${figures}`);
    // Each snapshot is written once the log has grown by as much as the previous one: at most about one
    // byte of snapshot per byte of commits, and one snapshot per many commits.
    assert.ok(snapshots <= commits / 10, figures);
    assert.ok(rewritten <= appended * 1.5, figures);
    // Every snapshot written was put in place: none was thrown away.
    assert.equal(ops.filter((o) => o.op === 'rename' && o.path === TEMP).length, snapshots, figures);
    // The file stays within twice its live state (plus a commit).
    assert.ok(
      snapshotSize > 4_000 && largestLog <= 2 * snapshotSize + 2_000,
      `${largestLog} vs ${snapshotSize}`,
    );
    const reopened = await StateLog.open(DIR, paxosOn(fs.crashed(), false, 4_000));
    assert.deepEqual(reopened.records, model(batches));
  });

  it('a reopened log with a large live state waits until it has doubled before it compacts', async () => {
    const fs = new MemoryFs();
    const first = await StateLog.open(DIR, paxosOn(fs, true, 4_000));
    await first.log.write(Array.from({ length: 40 }, (_, i) => record(`q${i}`, 1, 300)));
    await first.log.close();
    const size = fs.content(STATE)?.length ?? 0;
    const { log } = await StateLog.open(DIR, paxosOn(fs, false, 4_000));
    const opsBefore = fs.ops.length;
    // Commits adding up to well under the log's own size: no compaction yet.
    for (let i = 0; i < 10; i++) await log.write([record(`q${i}`, 2 + i, 300)]);
    assert.ok((fs.content(STATE)?.length ?? 0) < size * 2, 'the log has not doubled yet');
    assert.equal(fs.ops.slice(opsBefore).filter((o) => o.op === 'open' && o.path === TEMP).length, 0);
    await log.close();
  });
});
