import { dirname } from 'node:path';
import type { DurableFile, StorageFs } from '../../src/storage/index.ts';

/** One file's bytes: what the page cache holds, and what a crash would leave (the last fsync). */
interface Inode {
  cache: Buffer;
  durable: Buffer;
}

/** One thing the storage did to the disk, for tests that check the order of writes and fsyncs. */
export type FsOp =
  | { readonly op: 'write'; readonly path: string; readonly start: number; readonly end: number }
  | { readonly op: 'datasync' | 'sync' | 'truncate' | 'close'; readonly path: string }
  | { readonly op: 'open'; readonly path: string; readonly flags: string }
  | { readonly op: 'rename'; readonly path: string; readonly to: string }
  | { readonly op: 'rm' | 'fsyncDirectory' | 'chmod'; readonly path: string };

export class CrashError extends Error {
  override name = 'CrashError';
}

export interface MemoryFsOptions {
  /** The machine stops before operation number `crashAt` (counted from 0): it and all later ones fail. */
  readonly crashAt?: number;
  /** How many bytes a write takes at most (a full disk takes fewer than asked). */
  readonly maxWriteBytes?: (path: string, asked: number) => number;
  /** An error to throw from an operation instead of doing it. */
  readonly failWith?: (op: FsOp) => NodeJS.ErrnoException | null;
  /** Negative control: fsyncs that do nothing, like a disk that lies. */
  readonly syncsDoNothing?: boolean;
  /**
   * Negative control: directory fsyncs after the first `n` do nothing, as if the code skipped them (a
   * log that skips the one after a compaction's rename, while its creation is still made durable).
   */
  readonly directorySyncsKept?: number;
}

/**
 * How much of what was written but not yet fsynced a crash leaves on the disk: none (the default), or a
 * fraction of each file's unsynced appended bytes (the kernel had written part of them back: a torn
 * write). Directory entries stay as last fsynced either way.
 */
export interface CrashOptions {
  readonly unsyncedKept?: number;
}

/**
 * A disk in memory with a page cache, for crash tests: file contents become durable only by fsync, and
 * directory entries (a created, renamed or removed file) only by fsyncing the directory. `crashed()`
 * gives the disk as a machine would find it after power came back.
 */
export class MemoryFs implements StorageFs {
  readonly ops: FsOp[] = [];
  #options: MemoryFsOptions;
  /** The directory entries as programs see them. */
  #entries = new Map<string, Inode>();
  /** The directory entries a crash would leave. */
  #durableEntries = new Map<string, Inode>();
  #modes = new Map<string, number>();

  constructor(options: MemoryFsOptions = {}) {
    this.#options = options;
  }

  /** Changes the faults from now on (e.g. fill the disk after some good writes). */
  set options(options: MemoryFsOptions) {
    this.#options = options;
  }

  get operationCount(): number {
    return this.ops.length;
  }

  mode(path: string): number | undefined {
    return this.#modes.get(path);
  }

  /** The content a program would read now. */
  content(path: string): Buffer | undefined {
    return this.#entries.get(path)?.cache;
  }

  /** Puts a file on the disk, durably (a test's starting point). */
  put(path: string, data: Buffer, mode = 0o644): void {
    const inode = { cache: Buffer.from(data), durable: Buffer.from(data) };
    this.#entries.set(path, inode);
    this.#durableEntries.set(path, inode);
    this.#modes.set(path, mode);
  }

  /** The disk after a crash: only what was fsynced, and only the directory entries that were. */
  crashed(options: MemoryFsOptions = {}, crash: CrashOptions = {}): MemoryFs {
    const after = new MemoryFs(options);
    for (const [path, inode] of this.#durableEntries) {
      after.put(path, afterCrash(inode, crash.unsyncedKept ?? 0), this.#modes.get(path));
    }
    return after;
  }

  /** Every operation takes a moment, as on a disk: what was waiting for earlier ones runs first. */
  async #step(op: FsOp): Promise<void> {
    await Promise.resolve();
    const crashAt = this.#options.crashAt;
    if (crashAt !== undefined && this.ops.length >= crashAt) throw new CrashError(`crashed before ${op.op}`);
    this.ops.push(op);
    const error = this.#options.failWith?.(op) ?? null;
    if (error !== null) throw error;
  }

  async open(path: string, flags: 'r' | 'r+' | 'w', mode = 0o666): Promise<DurableFile> {
    await this.#step({ op: 'open', path, flags });
    let inode = this.#entries.get(path);
    if (inode === undefined) {
      if (flags !== 'w') throw enoent(path);
      inode = { cache: Buffer.alloc(0), durable: Buffer.alloc(0) };
      this.#entries.set(path, inode);
      this.#modes.set(path, mode);
    } else if (flags === 'w') {
      inode.cache = Buffer.alloc(0);
    }
    return this.#handle(path, inode);
  }

  #handle(path: string, inode: Inode): DurableFile {
    return {
      write: async (buffer, offset, length, position) => {
        const taken = Math.min(length, this.#options.maxWriteBytes?.(path, length) ?? length);
        await this.#step({ op: 'write', path, start: position, end: position + taken });
        const end = position + taken;
        if (inode.cache.length < end) {
          const grown = Buffer.alloc(end);
          inode.cache.copy(grown);
          inode.cache = grown;
        }
        Buffer.from(buffer.buffer, buffer.byteOffset + offset, taken).copy(inode.cache, position);
        return { bytesWritten: taken };
      },
      datasync: async () => {
        await this.#step({ op: 'datasync', path });
        if (!this.#options.syncsDoNothing) inode.durable = Buffer.from(inode.cache);
      },
      sync: async () => {
        await this.#step({ op: 'sync', path });
        if (!this.#options.syncsDoNothing) inode.durable = Buffer.from(inode.cache);
      },
      truncate: async (length) => {
        await this.#step({ op: 'truncate', path });
        inode.cache = Buffer.from(inode.cache.subarray(0, length));
      },
      close: async () => {
        await this.#step({ op: 'close', path });
      },
    };
  }

  async readFile(path: string): Promise<Buffer> {
    const inode = this.#entries.get(path);
    if (inode === undefined) throw enoent(path);
    return Buffer.from(inode.cache);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.#step({ op: 'rename', path: from, to });
    const inode = this.#entries.get(from);
    if (inode === undefined) throw enoent(from);
    this.#entries.set(to, inode);
    this.#entries.delete(from);
    this.#modes.set(to, this.#modes.get(from) ?? 0o666);
  }

  async rm(path: string): Promise<void> {
    await this.#step({ op: 'rm', path });
    this.#entries.delete(path);
  }

  async exists(path: string): Promise<boolean> {
    return this.#entries.has(path);
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.#step({ op: 'chmod', path });
    if (!this.#entries.has(path)) throw enoent(path);
    this.#modes.set(path, mode);
  }

  async fsyncDirectory(dir: string): Promise<void> {
    await this.#step({ op: 'fsyncDirectory', path: dir });
    const done = this.ops.filter((o) => o.op === 'fsyncDirectory').length;
    if (this.#options.syncsDoNothing || done > (this.#options.directorySyncsKept ?? Infinity)) return;
    for (const path of new Set([...this.#entries.keys(), ...this.#durableEntries.keys()])) {
      if (dirname(path) !== dir) continue;
      const inode = this.#entries.get(path);
      if (inode === undefined) this.#durableEntries.delete(path);
      else this.#durableEntries.set(path, inode);
    }
  }
}

export function errno(code: string, message = code): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function enoent(path: string): NodeJS.ErrnoException {
  return errno('ENOENT', `ENOENT: no such file: ${path}`);
}

/** A file's bytes after a crash that kept `kept` (0 to 1) of its unsynced appended bytes. */
function afterCrash(inode: Inode, kept: number): Buffer {
  const unsynced = inode.cache.length - inode.durable.length;
  if (kept <= 0 || unsynced <= 0 || !inode.cache.subarray(0, inode.durable.length).equals(inode.durable)) {
    return inode.durable;
  }
  return inode.cache.subarray(0, inode.durable.length + Math.floor(unsynced * kept));
}
