import { dirname } from 'node:path';
import { StorageWriteError } from './errors.ts';
import { nodeFs, writeAll, type StorageFs } from './fs.ts';

/**
 * Replaces a small file atomically and durably: write aside (every byte), fsync, rename over, fsync the
 * directory. A crash or a full disk leaves either the old or the new content, never a mix: the rename
 * happens only once the new file is whole and on disk. `what` names the content in errors.
 */
export async function writeFileDurably(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number; what?: string; fs?: StorageFs } = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const mode = options.mode ?? 0o600;
  const temp = `${path}.tmp`;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    // A temp file left by a crash may have another mode: start from none.
    await fs.rm(temp);
    const file = await fs.open(temp, 'w', mode);
    try {
      await writeAll(file, bytes, 0);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(temp, path);
    await fs.fsyncDirectory(dirname(path));
  } catch (error) {
    await fs.rm(temp).catch(() => undefined);
    throw new StorageWriteError(path, options.what ?? 'a file', error);
  }
}
