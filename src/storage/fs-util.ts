import { open } from 'node:fs/promises';

/** Makes a created, renamed or removed directory entry durable (POSIX needs the directory fsynced). */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Windows cannot fsync a directory; its rename is durable once the file itself is flushed.
    if (
      (error as NodeJS.ErrnoException).code !== 'EPERM' &&
      (error as NodeJS.ErrnoException).code !== 'EISDIR'
    ) {
      throw error;
    }
  } finally {
    await handle.close();
  }
}
