import { writeSync } from 'node:fs';
import { chmod, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';

/** The part of an open file the storage uses (node's FileHandle has it). */
export interface DurableFile {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ readonly bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every file operation of the storage, so tests can put a disk that writes short, fails, records the
 * order of writes and fsyncs, or crashes and keeps only what was synced, under the real code.
 */
export interface StorageFs {
  open(path: string, flags: 'r' | 'r+' | 'w', mode?: number): Promise<DurableFile>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  chmod(path: string, mode: number): Promise<void>;
  /** Makes created, renamed or removed entries of `dir` durable. */
  fsyncDirectory(dir: string): Promise<void>;
}

export const nodeFs: StorageFs = {
  open: async (path, flags, mode) => directSmallWrites(await open(path, flags, mode)),
  readFile: (path) => readFile(path),
  rename: (from, to) => rename(from, to),
  rm: (path) => rm(path, { force: true }),
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  },
  chmod: (path, mode) => chmod(path, mode),
  async fsyncDirectory(dir) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } catch (error) {
      // Windows cannot fsync a directory; its rename is durable once the file itself is flushed.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'EISDIR') throw error;
    } finally {
      await handle.close();
    }
  },
};

/** Writes up to this size go straight to the page cache from the calling thread. */
const DIRECT_WRITE_BYTES = 64 * 1024;

/**
 * A record of a few hundred bytes is a copy into the page cache: made from the calling thread it takes
 * microseconds, where a trip through libuv's thread pool costs a few hundred, and under load waits
 * behind other work on the critical path of every vote. Larger writes (snapshots), and every fsync,
 * stay asynchronous.
 */
function directSmallWrites(handle: FileHandle): DurableFile {
  return {
    write: async (buffer, offset, length, position) =>
      length <= DIRECT_WRITE_BYTES
        ? { bytesWritten: writeSync(handle.fd, buffer, offset, length, position) }
        : handle.write(buffer, offset, length, position),
    datasync: () => handle.datasync(),
    sync: () => handle.sync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
}

/**
 * Writes every byte of `data` at `position`, or throws. A write may take fewer bytes than asked (a full
 * disk does exactly that); ignoring it would let a caller acknowledge a record of which only a part is
 * on disk. A write that takes nothing is a full disk.
 */
export async function writeAll(file: DurableFile, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`no space left: wrote ${done} of ${data.length} bytes`), {
        code: 'ENOSPC',
      });
    }
    done += bytesWritten;
  }
}
