import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILES } from '../node/data-dir.ts';
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
  await writeFileDurably(path, token, { what: 'the API token' });
  return token;
}

export interface ApiInfo {
  readonly port: number;
  readonly pid: number;
  readonly peerId: string;
}

export async function writeApiInfo(dataDir: string, info: ApiInfo): Promise<void> {
  await writeFileDurably(join(dataDir, FILES.apiInfo), JSON.stringify(info), { what: 'the API address' });
}

/** Where the daemon of `dataDir` listens, and its token; a clear error when none is running. */
export async function readApiAccess(dataDir: string): Promise<{ url: string; token: string }> {
  try {
    const info = JSON.parse(await readFile(join(dataDir, FILES.apiInfo), 'utf8')) as ApiInfo;
    const token = (await readFile(join(dataDir, FILES.apiToken), 'utf8')).trim();
    return { url: `http://127.0.0.1:${info.port}`, token };
  } catch {
    throw new Error(
      `no Synod daemon has run with the data directory ${dataDir}: start one with "synod daemon --data-dir ${dataDir}"`,
    );
  }
}
