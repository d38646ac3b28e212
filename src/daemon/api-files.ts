import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LOCK_FILE, lockOwnerOf } from '../node/durable/data-dir-lock.ts';
import { FILES } from '../node/durable/data-dir.ts';
import { writeFileDurably } from '../storage/index.ts';

/** The API token, created once per data directory and readable by its owner only. */
export async function loadOrCreateToken(dataDir: string): Promise<string> {
  const path = join(dataDir, FILES.apiToken);
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(token)) return token;
  } catch {
    // created below
  }
  const token = randomBytes(32).toString('hex');
  await writeToken(dataDir, token);
  return token;
}

export async function writeToken(dataDir: string, token: string): Promise<void> {
  await writeFileDurably(join(dataDir, FILES.apiToken), token, { what: 'the API token' });
}

export interface ApiInfo {
  readonly port: number;
  readonly pid: number;
  readonly peerId: string;
}

export async function writeApiInfo(dataDir: string, info: ApiInfo): Promise<void> {
  await writeFileDurably(join(dataDir, FILES.apiInfo), JSON.stringify(info), { what: 'the API address' });
}

/** Removes api.json when the daemon stops cleanly, so that nobody is sent to a port that is gone. */
export async function removeApiInfo(dataDir: string): Promise<void> {
  await rm(join(dataDir, FILES.apiInfo), { force: true });
}

/**
 * Where the daemon of `dataDir` listens, and its token. When there is none to talk to, the error says
 * which of three cases it is: no daemon ever ran here; one runs but its API files are missing; the one
 * that ran here is gone.
 */
export async function readApiAccess(dataDir: string): Promise<{ url: string; token: string }> {
  const start = `start one with "synod daemon --data-dir ${dataDir}"`;
  /** Files that exist but could not be read (permissions, an I/O error): named, not taken for absent. */
  const unreadable: string[] = [];
  const noteUnreadable = (what: string) => (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      unreadable.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  };
  const holder = await lockOwnerOf(dataDir).catch(noteUnreadable(LOCK_FILE));
  const infoText = await readFile(join(dataDir, FILES.apiInfo), 'utf8').catch(noteUnreadable(FILES.apiInfo));
  let info: ApiInfo | null = null;
  try {
    info = infoText === null ? null : infoSchema.parse(JSON.parse(infoText));
  } catch {
    info = null;
  }
  const tokenText = await readFile(join(dataDir, FILES.apiToken), 'utf8').catch(
    noteUnreadable(FILES.apiToken),
  );
  const token = tokenText === null ? null : tokenText.trim();
  if (holder?.alive && holder.owner.kind === 'desktop app') {
    throw new Error(
      `the Synod desktop app (pid ${holder.owner.pid}) is using the data directory ${dataDir}; it has no command-line API: use its window, or quit it and ${start}`,
    );
  }
  if (info !== null && token !== null && (holder === null || holder.alive) && isRunning(info.pid)) {
    return { url: `http://127.0.0.1:${info.port}`, token };
  }
  if (unreadable.length > 0) {
    throw new Error(
      `cannot read the data directory ${dataDir} (${unreadable.join('; ')}): check its permissions and the disk, then try again`,
    );
  }
  if (holder?.alive) {
    throw new Error(
      `a Synod daemon (pid ${holder.owner.pid}) runs with the data directory ${dataDir}, but its API files ` +
        `(${FILES.apiInfo}, ${FILES.apiToken}) are missing or unreadable: restart it (kill ${holder.owner.pid}, then ${start.replace('start one with ', '')}) to write them again`,
    );
  }
  if (info !== null || holder !== null) {
    const pid = info?.pid ?? holder?.owner.pid;
    throw new Error(
      `the Synod daemon that ran with the data directory ${dataDir} (pid ${pid}) is gone: it stopped or crashed. ${start[0]?.toUpperCase()}${start.slice(1)} again`,
    );
  }
  throw new Error(`no Synod daemon has run with the data directory ${dataDir}: ${start}`);
}

const infoSchema = z.object({ port: z.number().int(), pid: z.number().int(), peerId: z.string() });

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
