/**
 * What a disk and a crash can do to the state log, run against the real code on a disk in memory
 * (test/helpers/memory-fs.ts): short writes, a full disk, the order of writes and fsyncs, a crash at
 * every single file operation (compaction included), and damage to every byte of a log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogOptions } from '../../src/node/questions/catalog.ts';
import type { DurableDecision } from '../../src/paxos/index.ts';
import {
  CorruptStateError,
  STATE_FILE,
  StateLog,
  StorageWriteError,
  writeFileDurably,
  type OpenedStateLog,
  type StateLogOptions,
} from '../../src/storage/index.ts';
import type { Keyed } from '../../src/storage/records.ts';
import { CrashError, MemoryFs, errno, type MemoryFsOptions } from '../helpers/memory-fs.ts';
import { DIR, model, paxosOn, question, record, sameRecords } from '../helpers/state-log-fixtures.ts';

const STATE = `${DIR}/${STATE_FILE}`;

const paxos = paxosOn;

/** A disk with `bytes` bytes of room left: writes take what fits, then nothing. */
function fullAfter(bytes: number): (path: string, asked: number) => number {
  let room = bytes;
  return (_path, asked) => {
    const taken = Math.max(0, Math.min(asked, room));
    room -= taken;
    return taken;
  };
}

const diskFull = (error: unknown) =>
  error instanceof StorageWriteError &&
  /disk is full/.test(error.message) &&
  /restart Synod/.test(error.message);

describe('state log: every byte written, or a clear failure', () => {
  for (const [name, options, make] of [
    ['the acceptor state', (fs: MemoryFs) => paxos(fs, true), (i: number) => record(`q${i % 3}`, i)],
    ['the question catalog', (fs: MemoryFs) => ({ ...catalogOptions(true), fs }), question],
  ] as const) {
    it(`${name}: short writes are completed, and a full disk fails the write and every later one`, async () => {
      // A disk that takes at most 7 bytes per write: the log keeps writing until every byte is there.
      const fs = new MemoryFs({ maxWriteBytes: () => 7 });
      const { log } = await StateLog.open<Keyed>(DIR, options(fs) as StateLogOptions<Keyed>);
      const acked = [[make(1)], [make(2), make(3)]];
      for (const batch of acked) await log.write(batch);
      // Now the disk is full: it takes 22 bytes of the next commit, then nothing.
      fs.options = { maxWriteBytes: fullAfter(22) };
      await assert.rejects(log.write([make(4)]), (error: unknown) => {
        assert.ok(diskFull(error), String(error));
        assert.match((error as Error).message, new RegExp(name));
        return true;
      });
      fs.options = {};
      await assert.rejects(log.write([make(5)]), diskFull, 'a failed log is never written again');
      // After a crash (or a restart) the node holds exactly what it acknowledged.
      const reopened = await StateLog.open<Keyed>(DIR, {
        ...(options(fs.crashed()) as StateLogOptions<Keyed>),
        create: false,
      });
      assert.deepEqual(reopened.records, model<Keyed>(acked));
    });
  }

  it('a snapshot that cannot be written whole fails the commit; the state stays what was acknowledged', async () => {
    const fs = new MemoryFs();
    const { log } = await StateLog.open(DIR, paxos(fs, true, 600));
    const acked: DurableDecision[][] = [];
    let failed = false;
    fs.options = {
      maxWriteBytes: (path, asked) => (path.endsWith('.tmp') ? Math.max(1, Math.floor(asked / 3)) : asked),
    };
    // The writes loop over short snapshot writes: compaction still succeeds.
    for (let i = 1; i <= 6; i++) {
      const batch = [record(`q${i}`, i)];
      await log.write(batch);
      acked.push(batch);
    }
    fs.options = { maxWriteBytes: (path, asked) => (path.endsWith('.tmp') ? 0 : asked) };
    for (let i = 7; i <= 30 && !failed; i++) {
      const batch = [record(`q${i % 9}`, i)];
      try {
        await log.write(batch);
        acked.push(batch);
      } catch (error) {
        assert.ok(diskFull(error), String(error));
        failed = true;
      }
    }
    assert.ok(failed, 'a compaction was due and could not write its snapshot');
    const { records } = await StateLog.open(DIR, paxos(fs.crashed(), false));
    // The commit whose compaction failed was on disk but never acknowledged: either is right.
    const expected = model(acked);
    assert.ok(records.size >= expected.size);
    for (const [id, r] of expected) {
      const got = records.get(id);
      assert.ok(got !== undefined && got.roundUsed >= r.roundUsed, `record ${id} kept`);
    }
  });

  it('writeFileDurably completes short writes, and on a full disk keeps the old file whole', async () => {
    const fs = new MemoryFs({ maxWriteBytes: () => 5 });
    const path = `${DIR}/group.json`;
    await writeFileDurably(path, '{"name": "the old settings"}', { fs, what: 'the group settings' });
    assert.equal(fs.content(path)?.toString(), '{"name": "the old settings"}');
    assert.equal(fs.mode(path), 0o600);
    fs.options = { maxWriteBytes: fullAfter(12) };
    await assert.rejects(
      writeFileDurably(path, '{"name": "the new settings, longer"}', { fs, what: 'the group settings' }),
      (error: unknown) => diskFull(error) && /group settings/.test(String(error)),
    );
    assert.equal(fs.content(path)?.toString(), '{"name": "the old settings"}');
    assert.equal(fs.crashed().content(path)?.toString(), '{"name": "the old settings"}');
  });

  it('other failures say what the disk did: read-only, permission, I/O error', async () => {
    for (const [code, words] of [
      ['EROFS', /read-only/],
      ['EACCES', /Permission denied.*ls -l/s],
      ['EIO', /I\/O error.*failing/s],
    ] as const) {
      const fs = new MemoryFs();
      const { log } = await StateLog.open(DIR, paxos(fs, true));
      fs.options = { failWith: (op) => (op.op === 'datasync' ? errno(code) : null) };
      await assert.rejects(log.write([record('q', 1)]), (error: unknown) => {
        assert.ok(error instanceof StorageWriteError);
        assert.match(error.message, words);
        assert.match(error.message, /state\.log/);
        return true;
      });
    }
  });

  it('files are created 0600, and an existing log readable by others is tightened', async () => {
    const fs = new MemoryFs();
    const { log } = await StateLog.open(DIR, paxos(fs, true, 400));
    for (let i = 1; i < 20; i++) await log.write([record('q', i)]); // compacts several times
    assert.equal(fs.mode(STATE), 0o600);
    const old = new MemoryFs();
    old.put(STATE, fs.content(STATE) ?? Buffer.alloc(0), 0o644);
    await StateLog.open(DIR, paxos(old, false));
    assert.equal(old.mode(STATE), 0o600);
  });
});

describe('state log: fsync before acknowledging', () => {
  /** For each acknowledged write: were all bytes written to the log so far covered by a later sync? */
  async function uncoveredAcks(fs: MemoryFs, hideSyncs: boolean): Promise<number> {
    const { log } = await StateLog.open(DIR, paxos(fs, true, 1_000));
    let uncovered = 0;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        log.write([record(`q${i % 7}`, i + 1)]).then(() => {
          const ops = hideSyncs ? fs.ops.filter((o) => o.op !== 'datasync' && o.op !== 'sync') : fs.ops;
          const lastWrite = ops.findLastIndex((o) => o.op === 'write' && o.path === STATE);
          const lastSync = ops.findLastIndex(
            (o) => (o.op === 'datasync' || o.op === 'sync') && o.path === STATE,
          );
          const renamed = ops.findLastIndex((o) => o.op === 'rename' && o.to === STATE);
          // After a compaction the log is the renamed snapshot: its own sync (and the directory's) count.
          const snapshotSynced =
            renamed > lastWrite && ops.slice(renamed).some((o) => o.op === 'fsyncDirectory');
          if (!(lastSync > lastWrite || snapshotSynced)) uncovered++;
        }),
      ),
    );
    await log.close();
    return uncovered;
  }

  it('every acknowledged record was followed by a datasync of its bytes (group commit and compaction too)', async () => {
    const fs = new MemoryFs();
    assert.equal(await uncoveredAcks(fs, false), 0);
    assert.ok(
      fs.ops.some((o) => o.op === 'rename'),
      'the run compacted',
    );
  });

  it('negative control: the check catches a log that acknowledges without a sync', async () => {
    assert.ok((await uncoveredAcks(new MemoryFs(), true)) > 0);
  });
});

describe('state log: a crash at every step', () => {
  /**
   * Opens a log with a small compaction threshold and writes batches one by one, on a disk that crashes
   * before operation `crashAt`. Returns the batches acknowledged and the one in flight.
   */
  async function runUntilCrash(fs: MemoryFs) {
    const acked: DurableDecision[][] = [];
    let inFlight: DurableDecision[] | null = null;
    let opened = false;
    try {
      const { log } = await StateLog.open(DIR, paxos(fs, true, 700));
      opened = true;
      for (let i = 1; i <= 14; i++) {
        inFlight = [record(`q${i % 4}`, i), ...(i % 3 === 0 ? [record(`extra${i}`, i)] : [])];
        await log.write(inFlight);
        acked.push(inFlight);
        inFlight = null;
      }
    } catch (error) {
      const crash = error instanceof CrashError || (error as Error).cause instanceof CrashError;
      if (!crash) throw error;
    }
    return { acked, inFlight, opened };
  }

  /** How much of the unsynced appended bytes each crash leaves: none, a torn part, or all of them. */
  const UNSYNCED_KEPT = [0, 0.3, 0.5, 0.8, 1];

  /**
   * Crashes at every operation in turn, on a disk with `faults`; after each crash, the disk as power
   * left it (with none, part or all of the unsynced bytes) is opened, written once more, crashed again
   * and reopened. Returns the crash points at which state was lost or refused.
   */
  async function lossesOverAllCrashPoints(
    faults: MemoryFsOptions = {},
  ): Promise<{ points: number; compactions: number; checked: number; tornWrites: number; losses: string[] }> {
    const total = new MemoryFs();
    await runUntilCrash(total);
    const compactions = total.ops.filter((o) => o.op === 'rename' && o.path.endsWith('.tmp')).length;
    const losses: string[] = [];
    let checked = 0;
    let tornWrites = 0;
    for (let crashAt = 0; crashAt <= total.operationCount; crashAt++) {
      const fs = new MemoryFs({ crashAt, ...faults });
      const { acked, inFlight, opened } = await runUntilCrash(fs);
      const without = model(acked);
      const withInFlight = model(inFlight === null ? acked : [...acked, inFlight]);
      for (const unsyncedKept of UNSYNCED_KEPT) {
        const where = `crash at op ${crashAt} (${total.ops[crashAt]?.op ?? 'end'}), ${unsyncedKept} of unsynced bytes kept`;
        checked++;
        const disk = fs.crashed({}, { unsyncedKept });
        let reopened: OpenedStateLog<DurableDecision>;
        try {
          // A node that finished creating its log has voted under it: it must find it.
          reopened = await StateLog.open(DIR, paxos(disk, !opened, 700));
        } catch (error) {
          if (!(error instanceof CorruptStateError)) throw error;
          losses.push(`${where}: refused (${error.message.slice(0, 80)})`);
          continue;
        }
        const { records, log, recovery } = reopened;
        if (recovery.tornBytes > 0) tornWrites++;
        if (!sameRecords(records, without) && !sameRecords(records, withInFlight)) {
          losses.push(`${where}: ${records.size} records, ${without.size} acknowledged`);
          continue;
        }
        // The recovered log goes on: one more acknowledged write survives the next crash, with the rest.
        const next = [record('after-recovery', 99)];
        await log.write(next);
        const again = (await StateLog.open(DIR, paxos(disk.crashed(), false))).records;
        if (!sameRecords(again, model([[...records.values()], next]))) {
          losses.push(`${where}: a write after recovery, then a crash, left ${again.size} records`);
        }
      }
    }
    return { points: total.operationCount + 1, compactions, checked, tornWrites, losses };
  }

  it('after a crash at any file operation (before and after each rename, before each directory fsync), with none, part or all of the unsynced bytes on disk, the log holds exactly what it acknowledged', async () => {
    const { points, compactions, checked, tornWrites, losses } = await lossesOverAllCrashPoints();
    assert.ok(points > 60 && compactions >= 2, `${points} crash points, ${compactions} compactions`);
    assert.equal(checked, points * UNSYNCED_KEPT.length);
    assert.ok(tornWrites > 10, `${tornWrites} crashes left a torn write to cut`);
    assert.deepEqual(losses, []);
  });

  it('negative control: with a disk whose fsyncs do nothing, the same check finds lost state', async () => {
    const { losses } = await lossesOverAllCrashPoints({ syncsDoNothing: true });
    assert.ok(losses.length > 0);
  });

  it('negative control: a log that skips the directory fsync after the rename of a compaction is caught too', async () => {
    // The log's creation is still made durable (the first directory fsync); every later one is lost.
    const { losses } = await lossesOverAllCrashPoints({ directorySyncsKept: 1 });
    assert.ok(losses.length > 0);
  });

  it('a snapshot left half-written by a crash (the .tmp file) is ignored and replaced', async () => {
    const fs = new MemoryFs();
    const { log } = await StateLog.open(DIR, paxos(fs, true, 700));
    for (let i = 1; i <= 5; i++) await log.write([record('q', i)]);
    fs.put(`${STATE}.tmp`, Buffer.from('half a snapshot'), 0o644);
    const reopened = await StateLog.open(DIR, paxos(fs, false, 700));
    assert.equal(reopened.records.get('q')?.roundUsed, 5);
    for (let i = 6; i <= 20; i++) await reopened.log.write([record('q', i)]);
    const last = await StateLog.open(DIR, paxos(fs.crashed(), false));
    assert.equal(last.records.get('q')?.roundUsed, 20);
  });
});

describe('state log: damage to any byte', () => {
  it('every byte of a small compacted log (every header field and payload), damaged alone: exact state or refusal', async () => {
    const fs = new MemoryFs();
    const { log } = await StateLog.open(DIR, paxos(fs, true, 500));
    const batches = [[record('q1', 1)], [record('q2', 1)], [record('q1', 2)], [record('q3', 3)]];
    for (const batch of batches) await log.write(batch);
    const bytes = fs.content(STATE) ?? Buffer.alloc(0);
    let refused = 0;
    for (let at = 0; at < bytes.length; at++) {
      const damaged = new MemoryFs();
      const copy = Buffer.from(bytes);
      copy.writeUInt8(copy.readUInt8(at) ^ 0x5a, at);
      damaged.put(STATE, copy);
      try {
        const { records } = await StateLog.open(DIR, paxos(damaged, false));
        assert.deepEqual(records, model(batches), `damage at byte ${at} lost nothing`);
      } catch (error) {
        assert.ok(error instanceof CorruptStateError, `damage at byte ${at}: ${String(error)}`);
        refused++;
      }
    }
    // Each commit is written twice: one damaged byte is always repaired from the other copy.
    assert.equal(refused, 0, `${bytes.length} bytes tried`);
  });

  it('a snapshot that is missing (the log starts later) is refused, not taken as a fresh start', async () => {
    const fs = new MemoryFs();
    const { log } = await StateLog.open(DIR, paxos(fs, true));
    await log.write([record('q1', 1)]);
    const bytes = fs.content(STATE) ?? Buffer.alloc(0);
    const snapshotFrames = 24 + bytes.readUInt32LE(4);
    const withoutSnapshot = new MemoryFs();
    withoutSnapshot.put(STATE, bytes.subarray(snapshotFrames * 2));
    await assert.rejects(StateLog.open(DIR, paxos(withoutSnapshot, false)), CorruptStateError);
  });
});
