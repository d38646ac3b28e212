import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { DurableDecision } from '../../src/paxos/index.ts';
import { CorruptStateError, STATE_FILE, StateLog, paxosStateOptions } from '../../src/storage/index.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'synod-state-'));
  dirs.push(dir);
  return dir;
}

function record(id: string, round: number, chosen: string | null = null): DurableDecision {
  return {
    id,
    config: { acceptors: ['a', 'b', 'c'], learners: ['l'] },
    promised: { round, node: 'b' },
    accepted: round > 1 ? { ballot: { round: round - 1, node: 'a' }, value: `v${round}` } : null,
    roundUsed: round,
    proposal: 'mine',
    chosen,
    certificate: null,
    conflict: null,
  };
}

/** Writes `batches` one after another (each acknowledged), closes, and returns the file's bytes. */
async function writeLog(dir: string, batches: readonly (readonly DurableDecision[])[]): Promise<Buffer> {
  const { log } = await StateLog.open(dir, paxosStateOptions(true));
  for (const batch of batches) await log.write(batch);
  await log.close();
  return readFile(join(dir, STATE_FILE));
}

function model(batches: readonly (readonly DurableDecision[])[]): Map<string, DurableDecision> {
  const state = new Map<string, DurableDecision>();
  for (const batch of batches) for (const r of batch) state.set(r.id, r);
  return state;
}

async function reopen(dir: string) {
  const opened = await StateLog.open(dir, paxosStateOptions(false));
  await opened.log.close();
  return opened;
}

describe('state log', () => {
  it('creates a new log, and a reopened log returns exactly what was written', async () => {
    const dir = await freshDir();
    const batches = [[record('q1', 1)], [record('q2', 1), record('q1', 2)], [record('q1', 3, 'yes')]];
    await writeLog(dir, batches);
    const { records, recovery } = await reopen(dir);
    assert.deepEqual(records, model(batches));
    assert.deepEqual(recovery, { tornBytes: 0, repairedCommits: 0, created: false });
  });

  it('group commit: concurrent writes share fsyncs, and every one of them is durable when it resolves', async () => {
    const dir = await freshDir();
    const { log } = await StateLog.open(dir, paxosStateOptions(true));
    const writes = Array.from({ length: 200 }, (_, i) => log.write([record(`q${i}`, 1)]));
    await Promise.all(writes);
    const sizeOfOneCommit = ((await stat(join(dir, STATE_FILE))).size / 200) | 0;
    await log.close();
    const { records } = await reopen(dir);
    assert.equal(records.size, 200);
    // 200 separate commits would carry 200 frame headers twice; group commit needs only a few.
    const buf = await readFile(join(dir, STATE_FILE));
    const frames = countFrames(buf);
    assert.ok(frames < 200, `${frames} frames for 200 concurrent writes (≈${sizeOfOneCommit} bytes each)`);
  });

  it('refuses to start when the state file is missing but the node has voted before', async () => {
    const dir = await freshDir();
    await assert.rejects(StateLog.open(dir, paxosStateOptions(false)), (e: unknown) => {
      assert.ok(e instanceof CorruptStateError);
      assert.match(e.message, /state\.log.*missing.*will not vote/s);
      return true;
    });
  });

  it('a torn tail (any cut inside the last, unacknowledged commit) is cut off; earlier commits survive', async () => {
    const dir = await freshDir();
    const acked = [[record('q1', 1)], [record('q1', 2)]];
    const before = await writeLog(dir, acked);
    const full = await writeLog(dir, [[record('q1', 3)]]); // appended to the same log
    assert.ok(full.length > before.length);
    for (let cut = before.length + 1; cut < full.length; cut += 7) {
      await writeFile(join(dir, STATE_FILE), full.subarray(0, cut));
      const { records, recovery } = await reopen(dir);
      const firstCopyComplete = cut >= before.length + (full.length - before.length) / 2;
      assert.deepEqual(records.get('q1')?.roundUsed, firstCopyComplete ? 3 : 2, `cut at ${cut}`);
      assert.ok(recovery.tornBytes > 0 || firstCopyComplete);
      // The repair is durable: the file now ends with the last whole commit, in both its copies (a
      // commit whose first copy is whole gets its second copy written again).
      assert.equal((await stat(join(dir, STATE_FILE))).size, firstCopyComplete ? full.length : before.length);
      if (firstCopyComplete) assert.deepEqual(await readFile(join(dir, STATE_FILE)), full);
    }
  });

  it('a damaged copy of an acknowledged commit is repaired from the other copy', async () => {
    const dir = await freshDir();
    const batches = [[record('q1', 1)], [record('q2', 1)], [record('q1', 2)]];
    const buf = await writeLog(dir, batches);
    const damaged = Buffer.from(buf);
    flip(damaged, Math.floor(buf.length / 2), 0xff);
    await writeFile(join(dir, STATE_FILE), damaged);
    const { records, recovery } = await reopen(dir);
    assert.deepEqual(records, model(batches));
    assert.equal(recovery.repairedCommits, 1);
  });

  it('an acknowledged commit lost in both copies is detected: the node refuses, naming the file', async () => {
    const dir = await freshDir();
    const buf = await writeLog(dir, [[record('q1', 1)], [record('q1', 2)], [record('q2', 1)]]);
    const frames = frameOffsets(buf);
    // Frames 0-1 are the initial snapshot, 2-3 the first commit: destroy both copies of the second.
    const damaged = Buffer.from(buf);
    for (const f of [frames[4], frames[5]]) flip(damaged, (f ?? 0) + 30, 0x55);
    await writeFile(join(dir, STATE_FILE), damaged);
    await assert.rejects(StateLog.open(dir, paxosStateOptions(false)), (e: unknown) => {
      assert.ok(e instanceof CorruptStateError);
      assert.match(e.message, new RegExp(`${STATE_FILE} at byte \\d+, cannot be trusted: commits? \\d`));
      return true;
    });
  });

  it('a file truncated to nothing, or overwritten with garbage, is refused', async () => {
    const dir = await freshDir();
    await writeLog(dir, [[record('q1', 1)]]);
    await truncate(join(dir, STATE_FILE), 0);
    await assert.rejects(StateLog.open(dir, paxosStateOptions(false)), CorruptStateError);
    await writeFile(join(dir, STATE_FILE), Buffer.alloc(4096, 0x41));
    await assert.rejects(StateLog.open(dir, paxosStateOptions(false)), CorruptStateError);
  });

  it('property: any single damaged byte anywhere loses no acknowledged record', async () => {
    const dir = await freshDir();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 50 })), {
            minLength: 1,
            maxLength: 3,
          }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        // Positions are drawn as integers and reduced over the log's length: uniform over its bytes
        // (a double in [0, 1) is drawn near its ends, which hit byte 0 nine times in ten).
        fc.nat({ max: 1_000_000 }),
        fc.integer({ min: 1, max: 255 }),
        async (spec, where, mask) => {
          await rm(join(dir, STATE_FILE), { force: true });
          const batches = spec.map((batch) => batch.map(([q, round]) => record(`q${q}`, round)));
          const buf = await writeLog(dir, batches);
          const damaged = Buffer.from(buf);
          flip(damaged, where % buf.length, mask);
          await writeFile(join(dir, STATE_FILE), damaged);
          const { records } = await reopen(dir);
          assert.deepEqual(records, model(batches));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: a cut anywhere after the first commit recovers a prefix that includes every commit written whole', async () => {
    const dir = await freshDir();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.nat({ max: 1_000_000 }), async (n, where) => {
        await rm(join(dir, STATE_FILE), { force: true });
        const batches = Array.from({ length: n }, (_, i) => [record('q', i + 1)]);
        const buf = await writeLog(dir, batches);
        const offsets = frameOffsets(buf);
        const snapshotEnd = offsets[1] ?? 0;
        const cut = snapshotEnd + (where % (buf.length - snapshotEnd + 1));
        await writeFile(join(dir, STATE_FILE), buf.subarray(0, cut));
        const { records } = await reopen(dir);
        // Commit i (1-based) survives when its first copy (frame 2i) fits before the cut.
        const whole = batches.filter((_, i) => (offsets[2 * i + 3] ?? buf.length) <= cut).length;
        assert.deepEqual(records, model(batches.slice(0, whole)));
      }),
      { numRuns: 100 },
    );
  });

  it('compaction keeps the file small and the state intact', async () => {
    const dir = await freshDir();
    const { log } = await StateLog.open(dir, { ...paxosStateOptions(true), compactAtBytes: 8 * 1024 });
    for (let round = 1; round <= 300; round++) await log.write([record(`q${round % 5}`, round)]);
    await log.close();
    assert.ok((await stat(join(dir, STATE_FILE))).size < 16 * 1024);
    const { records } = await reopen(dir);
    assert.equal(records.size, 5);
    assert.equal(records.get('q0')?.roundUsed, 300);
  });
});

function flip(buf: Buffer, at: number, mask: number): void {
  buf.writeUInt8((buf.readUInt8(at) ^ mask) & 0xff, at);
}

function frameOffsets(buf: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 24 <= buf.length;) {
    offsets.push(at);
    at += 24 + buf.readUInt32LE(at + 4);
  }
  return offsets;
}

function countFrames(buf: Buffer): number {
  return frameOffsets(buf).length;
}
