/**
 * The storage on a real file system: the modes of the files it creates or finds, and a disk that is
 * really full (a small tmpfs the test mounts, which needs root; without root the test says so and
 * skips). The disk in memory (durability.test.ts) covers the same paths in more detail; this checks
 * that the real kernel's short writes and ENOSPC take them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { catalogOptions } from '../../src/node/questions/catalog.ts';
import type { DurableDecision } from '../../src/paxos/index.ts';
import {
  STATE_FILE,
  StateLog,
  StorageWriteError,
  nodeFs,
  paxosStateOptions,
  writeFileDurably,
  type StateLogOptions,
  type StorageFs,
} from '../../src/storage/index.ts';
import type { Keyed } from '../../src/storage/records.ts';
import { model, question, record } from '../helpers/state-log-fixtures.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'synod-disk-'));
  dirs.push(dir);
  return dir;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** Runs `body` with a umask that lets everyone read new files: the storage must not rely on the umask. */
async function withOpenUmask<R>(body: () => Promise<R>): Promise<R> {
  const saved = process.umask(0);
  try {
    return await body();
  } finally {
    process.umask(saved);
  }
}

describe('storage file modes on a real disk', () => {
  it('the state log, its snapshots and writeFileDurably create files 0600 whatever the umask', async () => {
    const dir = await freshDir();
    await withOpenUmask(async () => {
      const { log } = await StateLog.open(dir, { ...paxosStateOptions(true), compactAtBytes: 2_000 });
      assert.equal(await modeOf(join(dir, STATE_FILE)), 0o600, 'a new log');
      for (let i = 1; i <= 30; i++) await log.write([record(`q${i % 4}`, i)]);
      await log.close();
      assert.equal(await modeOf(join(dir, STATE_FILE)), 0o600, 'a log replaced by its snapshot');
      await writeFileDurably(join(dir, 'group.json'), '{}');
      assert.equal(await modeOf(join(dir, 'group.json')), 0o600, 'a small file');
    });
  });

  it('an existing state log, question catalog or small file readable by others is tightened to 0600', async () => {
    const dir = await freshDir();
    for (const options of [paxosStateOptions(true), catalogOptions(true)] as StateLogOptions<Keyed>[]) {
      const path = join(dir, options.file);
      const created = await StateLog.open(dir, options);
      await created.log.close();
      await chmod(path, 0o644);
      const reopened = await StateLog.open(dir, { ...options, create: false });
      await reopened.log.close();
      assert.equal(await modeOf(path), 0o600, options.file);
    }
    await writeFile(join(dir, 'group.json'), '{}', { mode: 0o644 });
    await chmod(join(dir, 'group.json'), 0o644);
    await writeFileDurably(join(dir, 'group.json'), '{"v":2}');
    assert.equal(await modeOf(join(dir, 'group.json')), 0o600);
  });
});

describe('storage on a real full disk (a 512 KiB tmpfs)', () => {
  let mountPoint: string | null = null;
  let skip: string | null = null;

  before(async () => {
    if (process.getuid?.() !== 0) {
      skip = 'needs root to mount a small tmpfs that can be filled';
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'synod-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
      mountPoint = dir;
    } catch (error) {
      skip = `needs root to mount a tmpfs: mount failed (${String(error).split('\n')[0]})`;
      await rm(dir, { recursive: true, force: true });
    }
  });

  after(async () => {
    if (mountPoint === null) return;
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } catch {
      // A failed test may have left a log open on it: detach it now, the kernel frees it at exit.
      execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
    }
    await rm(mountPoint, { recursive: true, force: true });
  });

  /** A fresh directory on the tmpfs, and a filler file that takes every byte left when `fill` runs. */
  async function onTmpfs(name: string) {
    if (mountPoint === null) throw new Error('no tmpfs');
    const dir = join(mountPoint, name);
    await mkdir(dir);
    const filler = join(mountPoint, `${name}.filler`);
    return {
      dir,
      fill: () => fillDisk(filler),
      free: () => rm(filler, { force: true }),
      cleanUp: () => Promise.all([rm(dir, { recursive: true, force: true }), rm(filler, { force: true })]),
    };
  }

  // Each commit is larger than a page, so that the room left in the log's last page can never hold a
  // whole copy of it: the write that does not fit is always cut inside its first copy.
  for (const [what, options, make] of [
    [
      'the acceptor state',
      paxosStateOptions(true),
      (i: number) => Array.from({ length: 10 }, (_, k) => record(`q${(i * 10 + k) % 50}`, i + 1, 300)),
    ],
    [
      'the question catalog',
      catalogOptions(true),
      (i: number) => Array.from({ length: 16 }, (_, k) => question(i * 16 + k)),
    ],
  ] as [string, StateLogOptions<Keyed>, (i: number) => Keyed[]][]) {
    it(`${what}: the write that does not fit fails saying the disk is full; after space is freed, everything acknowledged is there`, async (t) => {
      if (skip !== null || mountPoint === null) return t.skip(skip ?? 'no tmpfs');
      const disk = await onTmpfs(options.file.replace('.', '-'));
      try {
        const { log } = await StateLog.open(disk.dir, options);
        const acked: Keyed[][] = [];
        for (let i = 0; i < 3; i++) {
          await log.write(make(i));
          acked.push(make(i));
        }
        await disk.fill();
        let failure: unknown = null;
        // The log's last page may have a little room left: write until a commit does not fit.
        for (let i = 3; i < 200 && failure === null; i++) {
          try {
            await log.write(make(i));
            acked.push(make(i));
          } catch (error) {
            failure = error;
          }
        }
        assert.ok(failure instanceof StorageWriteError, String(failure));
        assert.match(failure.message, /disk is full/);
        assert.match(failure.message, new RegExp(`${what}.*${options.file}`));
        assert.match(failure.message, /Free some space.*restart Synod.*Nothing it acknowledged is lost/s);
        await assert.rejects(log.write(make(500)), StorageWriteError, 'a failed log takes no more writes');
        await log.close();
        await disk.free();
        const reopened = await StateLog.open(disk.dir, { ...options, create: false });
        await reopened.log.close();
        // The commit that failed was never acknowledged: its first copy may or may not have fitted.
        const failed = make(acked.length);
        const without = model(acked);
        const withFailed = model([...acked, failed]);
        assert.ok(
          isDeepEqual(reopened.records, without) || isDeepEqual(reopened.records, withFailed),
          `${reopened.records.size} records after the restart, ${without.size} acknowledged`,
        );
      } finally {
        await disk.cleanUp();
      }
    });
  }

  it('a compaction on a full disk fails the commit, removes its partial snapshot, and loses nothing', async (t) => {
    if (skip !== null || mountPoint === null) return t.skip(skip ?? 'no tmpfs');
    const disk = await onTmpfs('compaction');
    try {
      const compactAtBytes = 24_000;
      const state = join(disk.dir, STATE_FILE);
      const opened: string[] = [];
      const fs: StorageFs = {
        ...nodeFs,
        open: (path, flags, mode) => (opened.push(path), nodeFs.open(path, flags, mode)),
      };
      const { log } = await StateLog.open(disk.dir, { ...paxosStateOptions(true), compactAtBytes, fs });
      // Five questions updated again and again: a snapshot of about 5 KB (two pages) replaces a log of 24 KB.
      const acked: DurableDecision[][] = [];
      let round = 1;
      const nextBatch = () => [record(`q${round % 5}`, round++, 300)];
      while ((await stat(state)).size < compactAtBytes - 4_000) {
        const batch = nextBatch();
        await log.write(batch);
        acked.push(batch);
      }
      // Leave two pages free: enough for the log to reach the threshold, not for the snapshot as well.
      const reserve = join(disk.dir, '..', 'compaction.reserve');
      await writeFile(reserve, Buffer.alloc(8192));
      await disk.fill();
      await rm(reserve);
      opened.length = 0;
      let failure: unknown = null;
      let failed: DurableDecision[] = [];
      while (failure === null && round < 200) {
        const batch = nextBatch();
        await log.write(batch).then(
          () => acked.push(batch),
          (error: unknown) => ((failure = error), (failed = batch)),
        );
      }
      assert.ok(
        failure instanceof StorageWriteError && /disk is full/.test(failure.message),
        String(failure),
      );
      assert.ok(opened.includes(`${state}.tmp`), 'the failure came from the compaction');
      assert.deepEqual(await readdir(disk.dir), [STATE_FILE], 'no partial snapshot is left taking space');
      await log.close();
      await disk.free();
      const reopened = await StateLog.open(disk.dir, paxosStateOptions(false));
      await reopened.log.close();
      // The commit whose compaction failed was fsynced before it: it is there, though not acknowledged.
      assert.deepEqual(reopened.records, model([...acked, failed]));
    } finally {
      await disk.cleanUp();
    }
  });

  it('writeFileDurably on a full disk fails saying so, and leaves the old file whole', async (t) => {
    if (skip !== null || mountPoint === null) return t.skip(skip ?? 'no tmpfs');
    const disk = await onTmpfs('small-files');
    try {
      const path = join(disk.dir, 'group.json');
      const old = JSON.stringify({ name: 'the old settings' });
      await writeFileDurably(path, old, { what: 'the group settings' });
      // One page is left: the kernel takes the first 4 KiB of the new content, then fails (a short write).
      const reserve = join(disk.dir, '..', 'small-files.reserve');
      await writeFile(reserve, Buffer.alloc(4096));
      await disk.fill();
      await rm(reserve);
      const bigger = JSON.stringify({ name: 'the new settings', members: 'x'.repeat(64 * 1024) });
      await assert.rejects(
        writeFileDurably(path, bigger, { what: 'the group settings' }),
        (error: unknown) => {
          assert.ok(error instanceof StorageWriteError);
          assert.match(error.message, /disk is full.*the group settings.*group\.json/s);
          return true;
        },
      );
      assert.equal(await readFile(path, 'utf8'), old);
      assert.deepEqual(await readdir(disk.dir), ['group.json'], 'no temp file is left');
    } finally {
      await disk.cleanUp();
    }
  });
});

/** Writes to `path` until the file system has no byte left (ENOSPC on a one-byte write). */
async function fillDisk(path: string): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (const size of [64 * 1024, 4096, 512, 64, 8, 1]) {
      const chunk = Buffer.alloc(size, 0x46);
      for (;;) {
        try {
          const { bytesWritten } = await file.write(chunk);
          if (bytesWritten < size) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    await file.close();
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
