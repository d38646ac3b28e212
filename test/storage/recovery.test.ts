/**
 * What recovery makes of a log a crash or a damaged disk left behind, on a disk in memory: a cut at
 * every byte of a compacted log, a commit that survived in one copy, a damaged or missing snapshot, and
 * the `.tmp` snapshot a crash or a full disk left. Every outcome is exactly the state the log held
 * (a torn last commit may be there or not), or a refusal; never silently less.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DurableDecision } from '../../src/paxos/index.ts';
import { CorruptStateError, STATE_FILE, StateLog, StorageWriteError } from '../../src/storage/index.ts';
import { CrashError, MemoryFs } from '../helpers/memory-fs.ts';
import { DIR, frameOffsets, model, paxosOn, record, sameRecords } from '../helpers/state-log-fixtures.ts';

const STATE = `${DIR}/${STATE_FILE}`;
const TEMP = `${STATE}.tmp`;

/** A log that compacted once and then took a few more commits: its bytes and what went into it. */
async function compactedLog(): Promise<{ bytes: Buffer; batches: DurableDecision[][]; inSnapshot: number }> {
  const fs = new MemoryFs();
  const { log } = await StateLog.open(DIR, paxosOn(fs, true, 1_200));
  const batches: DurableDecision[][] = [];
  let inSnapshot = 0;
  const renames = () => fs.ops.filter((o) => o.op === 'rename').length;
  for (let i = 1; i <= 40 && !(inSnapshot > 0 && batches.length - inSnapshot === 3); i++) {
    const before = renames();
    const batch = [record(`q${i % 3}`, i), ...(i % 4 === 0 ? [record(`r${i}`, i)] : [])];
    await log.write(batch);
    batches.push(batch);
    if (renames() > before) inSnapshot = batches.length;
  }
  assert.ok(inSnapshot > 0 && batches.length - inSnapshot >= 3, `snapshot after ${inSnapshot} commits`);
  return { bytes: Buffer.from(fs.content(STATE) ?? Buffer.alloc(0)), batches, inSnapshot };
}

/** Opens `bytes` as the durable log; the open's outcome and the disk it ran on. */
async function openBytes(bytes: Buffer) {
  const disk = new MemoryFs();
  disk.put(STATE, bytes);
  try {
    return { disk, opened: await StateLog.open(DIR, paxosOn(disk, false)) };
  } catch (error) {
    if (error instanceof CorruptStateError) return { disk, refused: error };
    throw error;
  }
}

describe('state log recovery', () => {
  it('a cut at every byte of a compacted log keeps every commit written whole, and the log goes on', async () => {
    const { bytes, batches, inSnapshot } = await compactedLog();
    const offsets = frameOffsets(bytes);
    const later = batches.length - inSnapshot;
    assert.equal(offsets.length, 2 + 2 * later, 'a snapshot and each later commit, twice');
    const snapshotEnd = offsets[1] ?? 0;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { disk, opened, refused } = await openBytes(bytes.subarray(0, cut));
      if (cut < snapshotEnd) {
        // Not even the snapshot is whole: the state is gone, and the node must not vote.
        assert.ok(refused !== undefined, `cut at ${cut} inside the snapshot is refused`);
        continue;
      }
      assert.ok(opened !== undefined, `cut at ${cut}: ${String(refused)}`);
      // Commit k (1-based, after the snapshot) is there when its first copy ends before the cut.
      let whole = 0;
      for (let k = 1; k <= later; k++) if ((offsets[2 * k + 1] ?? bytes.length) <= cut) whole = k;
      const expected = model(batches.slice(0, inSnapshot + whole));
      assert.ok(sameRecords(opened.records, expected), `cut at ${cut}: ${opened.records.size} records`);
      const next = [record('after-the-cut', 1)];
      await opened.log.write(next);
      const again = await StateLog.open(DIR, paxosOn(disk.crashed(), false));
      assert.ok(
        sameRecords(again.records, model([...batches.slice(0, inSnapshot + whole), next])),
        `cut at ${cut}`,
      );
    }
  });

  /** A log whose last commit lost the tail of its second copy in a crash; that commit's first copy. */
  async function tornSecondCopy() {
    const fs = new MemoryFs();
    const { log } = await StateLog.open(DIR, paxosOn(fs, true));
    const batches = [[record('q1', 1)], [record('q2', 1)], [record('q1', 2)]];
    for (const batch of batches) await log.write(batch);
    const bytes = fs.content(STATE) ?? Buffer.alloc(0);
    const offsets = frameOffsets(bytes);
    const firstCopy = offsets.at(-2) ?? 0;
    const secondCopy = offsets.at(-1) ?? 0;
    return { batches, bytes: bytes.subarray(0, secondCopy + 10), firstCopy };
  }

  it('a commit that survived a crash in one copy gets its second copy back: one damaged byte later loses nothing', async () => {
    const { batches, bytes, firstCopy } = await tornSecondCopy();
    const { disk, opened } = await openBytes(bytes);
    assert.ok(opened !== undefined);
    assert.deepEqual(opened.records, model(batches), 'the torn second copy is not needed');
    await opened.log.close();
    // Now one byte of the surviving copy rots.
    const damaged = Buffer.from(disk.crashed().content(STATE) ?? Buffer.alloc(0));
    damaged.writeUInt8(damaged.readUInt8(firstCopy + 30) ^ 0x20, firstCopy + 30);
    const after = await openBytes(damaged);
    assert.ok(after.opened !== undefined, String(after.refused));
    assert.deepEqual(after.opened.records, model(batches));
  });

  it('the same, when the node wrote more after recovering: the single copy is not its only one', async () => {
    const { batches, bytes, firstCopy } = await tornSecondCopy();
    const { disk, opened } = await openBytes(bytes);
    assert.ok(opened !== undefined);
    const more = [record('q3', 1)];
    await opened.log.write(more);
    const damaged = Buffer.from(disk.crashed().content(STATE) ?? Buffer.alloc(0));
    damaged.writeUInt8(damaged.readUInt8(firstCopy + 30) ^ 0x20, firstCopy + 30);
    const after = await openBytes(damaged);
    assert.ok(after.opened !== undefined, String(after.refused));
    assert.deepEqual(after.opened.records, model([...batches, more]));
  });

  it('a crash during the repair itself (the cut, the second copy, its fsync) loses nothing either', async () => {
    const { batches, bytes } = await tornSecondCopy();
    const repairOps = (await openBytes(bytes)).disk.operationCount;
    assert.ok(repairOps >= 4, `${repairOps} operations to open and repair`);
    for (let crashAt = 0; crashAt <= repairOps; crashAt++) {
      const disk = new MemoryFs({ crashAt });
      disk.put(STATE, bytes);
      await StateLog.open(DIR, paxosOn(disk, false)).catch((error: unknown) => {
        // The machine stopped: the open fails with the crash as its cause, or with the crash itself.
        if (!(error instanceof CrashError || (error as Error).cause instanceof CrashError)) throw error;
      });
      for (const unsyncedKept of [0, 0.5, 1]) {
        const after = await StateLog.open(DIR, paxosOn(disk.crashed({}, { unsyncedKept }), false));
        assert.deepEqual(after.records, model(batches), `crash at op ${crashAt}, ${unsyncedKept} kept`);
      }
    }
  });

  it('a damaged copy of the snapshot is repaired, and the log is rewritten whole at the next commit', async () => {
    const { bytes, batches, inSnapshot } = await compactedLog();
    const damaged = Buffer.from(bytes);
    damaged.writeUInt8(damaged.readUInt8(40) ^ 0x01, 40); // inside the first copy of the snapshot
    const { disk, opened } = await openBytes(damaged);
    assert.ok(opened !== undefined, 'one copy of the snapshot is enough');
    assert.deepEqual(opened.records, model(batches));
    assert.equal(opened.recovery.repairedCommits, 1);
    assert.ok(inSnapshot > 0);
    const next = [record('next', 1)];
    await opened.log.write(next);
    assert.ok(
      disk.ops.some((o) => o.op === 'rename' && o.path === TEMP),
      'the commit after a repair compacts: every commit has two copies again',
    );
    const again = await StateLog.open(DIR, paxosOn(disk.crashed(), false));
    assert.equal(again.recovery.repairedCommits, 0);
    assert.deepEqual(again.records, model([...batches, next]));
  });

  it('a snapshot damaged in both copies is refused, with or without commits after it', async () => {
    const { bytes } = await compactedLog();
    const offsets = frameOffsets(bytes);
    for (const length of [offsets[2] ?? 0, bytes.length]) {
      const damaged = Buffer.from(bytes.subarray(0, length));
      for (const copy of [offsets[0] ?? 0, offsets[1] ?? 0]) {
        damaged.writeUInt8(damaged.readUInt8(copy + 60) ^ 0x08, copy + 60);
      }
      const { refused } = await openBytes(damaged);
      assert.ok(refused !== undefined, `a log of ${length} bytes without its snapshot is refused`);
      assert.match(refused.message, /acceptor state.*state\.log.*cannot be trusted.*will not vote/s);
    }
  });

  it('a half-written snapshot is removed: at open after a crash, and when a full disk stops it', async () => {
    const fs = new MemoryFs();
    fs.put(TEMP, Buffer.from('half a snapshot'));
    const { log } = await StateLog.open(DIR, paxosOn(fs, true, 1_000));
    assert.equal(fs.content(TEMP), undefined, 'a leftover .tmp is removed at open');
    // The disk fills up during the snapshot: its first write goes through, and nothing after it.
    fs.options = {
      maxWriteBytes: (path, asked) =>
        path === TEMP && fs.ops.some((o) => o.op === 'write' && o.path === TEMP) ? 0 : asked,
    };
    let failure: unknown = null;
    for (let i = 1; i <= 20 && failure === null; i++) {
      await log.write([record(`q${i}`, i)]).catch((error: unknown) => (failure = error));
    }
    assert.ok(failure instanceof StorageWriteError && /disk is full/.test(failure.message), String(failure));
    assert.equal(fs.content(TEMP), undefined, 'the partial snapshot does not keep the space it took');
  });
});
