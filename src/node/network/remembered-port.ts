import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../../storage/index.ts';

/**
 * A port a data directory's node chose once and uses again, so that its addresses (the browser's
 * address of its API, the network addresses in invites and in other members' lists) survive restarts.
 * Null when none was chosen yet, or the file is unreadable.
 */
export async function rememberedPort(dataDir: string, file: string): Promise<number | null> {
  try {
    const port = Number((await readFile(join(dataDir, file), 'utf8')).trim());
    return Number.isInteger(port) && port > 0 && port <= 65535 ? port : null;
  } catch {
    return null;
  }
}

export async function rememberPort(dataDir: string, file: string, port: number, what: string): Promise<void> {
  await writeFileDurably(join(dataDir, file), String(port), { what });
}
