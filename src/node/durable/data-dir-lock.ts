import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const LOCK_FILE = 'synod.lock';

export type OwnerKind = 'daemon' | 'desktop app';

/** Who holds a data directory: enough to tell a live owner from a dead one whose pid was reused. */
export interface LockOwner {
  readonly pid: number;
  readonly kind: OwnerKind;
  readonly startedAt: number;
  /** Linux: the boot and the process's start time, so a pid reused after a crash or reboot is no owner. */
  readonly bootId: string | null;
  readonly processStart: string | null;
  /** Tells this lock apart from any other with the same pid. */
  readonly token: string;
}

const ownerSchema = z.object({
  pid: z.number().int().positive(),
  kind: z.enum(['daemon', 'desktop app']),
  startedAt: z.number(),
  bootId: z.string().nullable(),
  processStart: z.string().nullable(),
  token: z.string(),
});

/** Another live process owns the data directory. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  readonly owner: LockOwner;

  constructor(dir: string, owner: LockOwner) {
    const since = new Date(owner.startedAt).toLocaleString();
    const reach =
      owner.kind === 'daemon'
        ? `talk to it with "synod status --data-dir ${dir}" (or open its browser link), or stop it first (kill ${owner.pid})`
        : 'use its window, or quit it first';
    super(
      `another Synod (the ${owner.kind}, pid ${owner.pid}, running since ${since}) is using the data directory ${dir}; ` +
        `two programs on one directory would corrupt its state: ${reach}`,
    );
    this.owner = owner;
  }
}

/** The data directory's lock, held while this process runs a node on it. */
export interface DataDirLock {
  readonly owner: LockOwner;
  release(): Promise<void>;
}

/**
 * Takes the data directory for this process: `synod.lock`, created exclusively, names the owner. A lock
 * whose owner is gone (crashed, killed, or from before a reboot) is stale and taken over; takeovers are
 * serialised by a second exclusive entry, and each removes only the very lock it judged stale, so two
 * processes starting at once over a stale lock cannot both win.
 */
export async function acquireDataDirLock(dir: string, kind: OwnerKind): Promise<DataDirLock> {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    kind,
    startedAt: Date.now(),
    bootId: bootId(),
    processStart: processStart(process.pid),
    token: randomBytes(8).toString('hex'),
  };
  const text = JSON.stringify(owner);
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      try {
        await file.writeFile(text);
      } finally {
        await file.close();
      }
      return { owner, release: () => releaseIf(path, text) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await readLock(path);
    if (held === 'gone') continue;
    if (held.owner !== null && isAlive(held.owner)) throw new DataDirLockedError(dir, held.owner);
    if (held.owner === null && Date.now() - held.mtimeMs < 5_000) {
      // Being written by a process that is starting right now: wait for it to say who it is.
      await sleep(20);
      continue;
    }
    await takeOver(path, held);
  }
  throw new Error(`could not take the lock ${path}: it keeps changing; is another Synod starting there?`);
}

/** Who holds the lock of `dir` now, and whether that process is alive; null when nobody ever did. */
export async function lockOwnerOf(dir: string): Promise<{ owner: LockOwner; alive: boolean } | null> {
  const held = await readLock(join(dir, LOCK_FILE));
  if (held === 'gone' || held.owner === null) return null;
  return { owner: held.owner, alive: isAlive(held.owner) };
}

async function takeOver(path: string, stale: SeenLock): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    await mkdir(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is taking over; a guard left by a crash mid-takeover is stale after 10 s.
    if (Date.now() - (await mtime(guard)) > 10_000) await rmdir(guard).catch(() => undefined);
    await sleep(20);
    return;
  }
  try {
    // Another process may have taken over since we judged the lock stale and created its own, which may
    // be as empty as the stale one and reuse its inode: remove the lock only if it is that file, unchanged.
    const now = await readLock(path);
    if (now !== 'gone' && now.ino === stale.ino && now.mtimeMs === stale.mtimeMs && now.text === stale.text)
      await unlink(path).catch(() => undefined);
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

async function releaseIf(path: string, text: string): Promise<void> {
  const now = await readFile(path, 'utf8').catch(() => null);
  if (now === text) await unlink(path).catch(() => undefined);
}

/** A lock as read, with which file it was (read through one handle), so a takeover can tell it again. */
interface SeenLock {
  /** Null when the lock cannot be parsed: being written, or left empty or cut short by a crash. */
  readonly owner: LockOwner | null;
  readonly text: string;
  readonly ino: number;
  readonly mtimeMs: number;
}

async function readLock(path: string): Promise<SeenLock | 'gone'> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  let seen: Omit<SeenLock, 'owner'>;
  try {
    const { ino, mtimeMs } = await file.stat();
    seen = { text: await file.readFile('utf8'), ino, mtimeMs };
  } finally {
    await file.close();
  }
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(seen.text));
    return { ...seen, owner: parsed.success ? parsed.data : null };
  } catch {
    return { ...seen, owner: null };
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The pid exists; it is the owner only if it is the same process (same boot, same start time).
  const boot = bootId();
  if (owner.bootId !== null && boot !== null && owner.bootId !== boot) return false;
  const started = processStart(owner.pid);
  if (owner.processStart !== null && started !== null && owner.processStart !== started) return false;
  return true;
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot (Linux). */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
