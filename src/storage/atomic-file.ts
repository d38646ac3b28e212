import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDirectory } from './fs-util.ts';

/**
 * Replaces a small file atomically and durably: write aside, fsync, rename over, fsync the directory.
 * A crash leaves either the old or the new content, never a mix.
 */
export async function writeFileDurably(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = `${path}.tmp`;
  const file = await open(temp, 'w', mode);
  try {
    await file.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  await fsyncDirectory(dirname(path));
}
