import { join } from 'node:path';
import type { z } from 'zod';
import type { DurableDecision } from '../paxos/index.ts';
import { CorruptStateError, StateOpenError, StorageWriteError } from './errors.ts';
import { encodeFrame } from './frame.ts';
import { nodeFs, writeAll, type DurableFile, type StorageFs } from './fs.ts';
import { durableDecisionSchema, encodeCommit, type Commit, type Keyed } from './records.ts';
import { recoverLog } from './recovery.ts';

/** The acceptor's Paxos state. */
export const STATE_FILE = 'state.log';

export interface StateLogOptions<T extends Keyed> {
  /** File name in the directory. */
  readonly file: string;
  /** Every record read back from disk is validated against it. */
  readonly schema: z.ZodType<T>;
  /** Create the log when it does not exist; otherwise its absence is an error. */
  readonly create: boolean;
  /** Rewrite the log as one snapshot once it is this large (and twice the last snapshot's size). */
  readonly compactAtBytes?: number;
  /** What the log holds, in words for people: it names the file in every error ("the acceptor state"). */
  readonly what: string;
  /** The file system (tests put a disk that fails, writes short or crashes here). */
  readonly fs?: StorageFs;
}

/** Files of a data directory are readable by their owner only. */
const FILE_MODE = 0o600;

const DEFAULT_COMPACT_AT_BYTES = 4 * 1024 * 1024;

/** Options for the Paxos state file. */
export function paxosStateOptions(create: boolean): StateLogOptions<DurableDecision> {
  return { file: STATE_FILE, schema: durableDecisionSchema, create, what: 'the acceptor state' };
}

export interface OpenedStateLog<T extends Keyed> {
  readonly log: StateLog<T>;
  readonly records: ReadonlyMap<string, T>;
  /** What recovery did, for the log: a cut torn tail, commits recovered from their second copy. */
  readonly recovery: {
    readonly tornBytes: number;
    readonly repairedCommits: number;
    readonly created: boolean;
  };
}

interface PendingWrite<T> {
  readonly records: readonly T[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface LogPosition {
  readonly file: DurableFile;
  readonly end: number;
  readonly seq: number;
}

/**
 * Durable records (the acceptor's state, the question catalog): an append-only log of checksummed
 * commits in the data directory. `write` resolves only once the records are fsynced. Writes that
 * arrive while a fsync is under way are gathered into the next commit, so many decisions share one
 * fsync (group commit).
 */
export class StateLog<T extends Keyed> {
  readonly path: string;
  readonly #dir: string;
  readonly #compactAtBytes: number;
  readonly #what: string;
  readonly #fs: StorageFs;
  /** The log is compacted when it reaches this size: the threshold, or twice the last snapshot. */
  #compactAt: number;
  #file: DurableFile;
  #end: number;
  #seq: number;
  readonly #live: Map<string, T>;
  #queue: PendingWrite<T>[] = [];
  #flushing: Promise<void> | null = null;
  #failure: Error | null = null;
  #closed = false;

  private constructor(
    dir: string,
    path: string,
    at: LogPosition,
    live: Map<string, T>,
    options: StateLogOptions<T>,
  ) {
    this.#dir = dir;
    this.path = path;
    this.#file = at.file;
    this.#end = at.end;
    this.#seq = at.seq;
    this.#live = live;
    this.#compactAtBytes = options.compactAtBytes ?? DEFAULT_COMPACT_AT_BYTES;
    this.#what = options.what;
    this.#fs = options.fs ?? nodeFs;
    // Past the threshold, the next compaction waits until the log has doubled: a large live state then
    // costs one rewrite per doubling, not one per commit.
    this.#compactAt = Math.max(this.#compactAtBytes, at.end * 2);
  }

  /**
   * Opens (or, when `create` allows it and there is none, creates) the log. Throws CorruptStateError
   * when its content cannot be trusted, including when it is missing but expected.
   */
  static async open<R extends Keyed>(dir: string, options: StateLogOptions<R>): Promise<OpenedStateLog<R>> {
    const fs = options.fs ?? nodeFs;
    const path = join(dir, options.file);
    if (!(await fs.exists(path))) {
      if (!options.create) {
        throw new CorruptStateError(
          path,
          null,
          'the file is missing, but this node has used it before',
          options.what,
        );
      }
      let end: number;
      try {
        end = await writeSnapshot(fs, `${path}.tmp`, 1, new Map<string, R>());
        await fs.rename(`${path}.tmp`, path);
        await fs.fsyncDirectory(dir);
      } catch (error) {
        throw new StorageWriteError(path, options.what, error);
      }
      let file: DurableFile;
      try {
        file = await fs.open(path, 'r+');
      } catch (error) {
        throw new StateOpenError(path, options.what, error);
      }
      const log = new StateLog<R>(dir, path, { file, end, seq: 1 }, new Map(), options);
      return { log, records: new Map(), recovery: { tornBytes: 0, repairedCommits: 0, created: true } };
    }
    let bytes: Buffer;
    let file: DurableFile;
    try {
      bytes = await fs.readFile(path);
      // An older Synod created its files readable by everyone: only the owner may read a node's votes.
      await fs.chmod(path, FILE_MODE);
      file = await fs.open(path, 'r+');
    } catch (error) {
      throw new StateOpenError(path, options.what, error);
    }
    const outcome = recoverLog(bytes, options.schema);
    if (!outcome.ok) {
      // The refusal is what matters: a failing close must not hide it.
      await file.close().catch(() => undefined);
      throw new CorruptStateError(path, outcome.offset, outcome.problem, options.what);
    }
    const { records, lastSeq, validEnd, tornBytes, repairedCommits, loneLastCopy } = outcome.log;
    let end = validEnd;
    try {
      if (tornBytes > 0) await file.truncate(validEnd);
      // The last commit survived in one copy (a crash cut the second): write the second copy before
      // the node acts on it, so that one damaged byte later cannot lose it.
      if (loneLastCopy !== null) {
        await writeAll(file, loneLastCopy, validEnd);
        end += loneLastCopy.length;
      }
      if (tornBytes > 0 || loneLastCopy !== null) await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      throw new StorageWriteError(path, options.what, error);
    }
    // A snapshot a crash left half-written is of no use; it would only take space until the next compaction.
    await fs.rm(`${path}.tmp`).catch(() => undefined);
    const log = new StateLog<R>(dir, path, { file, end, seq: lastSeq }, new Map(records), options);
    // Commits that survived in one copy are rewritten (two copies each) by compacting at the next commit.
    if (repairedCommits > 0) log.#compactAt = 0;
    return { log, records, recovery: { tornBytes, repairedCommits, created: false } };
  }

  /** Resolves once `records` are on disk. After a failed write every later write fails too. */
  write(records: readonly T[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.path} is closed`));
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (records.length === 0) return this.#flushing ?? Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ records, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /** The current content: every record written, by id. */
  get records(): ReadonlyMap<string, T> {
    return this.#live;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#flushing;
    await this.#file.close();
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#commit(batch.flatMap((w) => w.records));
        for (const w of batch) w.resolve();
      } catch (cause) {
        // After a failed fsync the page cache may say anything (the "fsyncgate" lesson): never retry.
        this.#failure = new StorageWriteError(this.path, this.#what, cause);
        for (const w of [...batch, ...this.#queue]) w.reject(this.#failure);
        this.#queue = [];
      }
    }
    this.#flushing = null;
  }

  async #commit(records: readonly T[]): Promise<void> {
    const seq = this.#seq + 1;
    const frame = encodeFrame(seq, encodeCommit({ snapshot: false, records }));
    await writeAll(this.#file, Buffer.concat([frame, frame]), this.#end);
    await this.#file.datasync();
    this.#seq = seq;
    this.#end += frame.length * 2;
    for (const record of records) this.#live.set(record.id, record);
    if (this.#end >= this.#compactAt) await this.#compact();
  }

  /** Replaces the log with one snapshot commit: written aside, fsynced, renamed, directory fsynced. */
  async #compact(): Promise<void> {
    const seq = this.#seq + 1;
    const temp = `${this.path}.tmp`;
    const size = await writeSnapshot(this.#fs, temp, seq, this.#live);
    await this.#file.close();
    await this.#fs.rename(temp, this.path);
    await this.#fs.fsyncDirectory(this.#dir);
    this.#file = await this.#fs.open(this.path, 'r+');
    this.#seq = seq;
    this.#end = size;
    this.#compactAt = Math.max(this.#compactAtBytes, size * 2);
  }
}

/** Writes a snapshot commit (twice, fsynced) to `path`; the caller renames it into place. */
async function writeSnapshot<T extends Keyed>(
  fs: StorageFs,
  path: string,
  seq: number,
  records: ReadonlyMap<string, T>,
): Promise<number> {
  const commit: Commit<T> = { snapshot: true, records: [...records.values()] };
  const frame = encodeFrame(seq, encodeCommit(commit));
  // A temp file a crash left behind may have another mode: start from none.
  await fs.rm(path);
  try {
    const file = await fs.open(path, 'w', FILE_MODE);
    try {
      await writeAll(file, Buffer.concat([frame, frame]), 0);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    // On a full disk, a partial snapshot would hold on to the space the user is about to free.
    await fs.rm(path).catch(() => undefined);
    throw error;
  }
  return frame.length * 2;
}
