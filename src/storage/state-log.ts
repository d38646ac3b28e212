import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecisionId, DurableDecision } from '../paxos/index.ts';
import { CorruptStateError } from './errors.ts';
import { encodeFrame } from './frame.ts';
import { encodeCommit, type Commit } from './records.ts';
import { recoverLog } from './recovery.ts';
import { fsyncDirectory, readWhole } from './fs-util.ts';

export const STATE_FILE = 'state.log';
const TEMP_FILE = 'state.log.tmp';

export interface StateLogOptions {
  /** Rewrite the log as one snapshot once it is this large and mostly superseded records. */
  readonly compactAtBytes: number;
}

const DEFAULT_OPTIONS: StateLogOptions = { compactAtBytes: 4 * 1024 * 1024 };

export interface OpenedStateLog {
  readonly log: StateLog;
  readonly records: ReadonlyMap<DecisionId, DurableDecision>;
  /** What recovery did, for the log: a cut torn tail, commits recovered from their second copy. */
  readonly recovery: {
    readonly tornBytes: number;
    readonly repairedCommits: number;
    readonly created: boolean;
  };
}

interface PendingWrite {
  readonly records: readonly DurableDecision[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The acceptor's durable state: an append-only log of checksummed commits in the data directory.
 * `write` resolves only once the records are fsynced. Writes that arrive while a fsync is under way
 * are gathered into the next commit, so many decisions share one fsync (group commit).
 */
export class StateLog {
  readonly path: string;
  readonly #dir: string;
  readonly #options: StateLogOptions;
  #file: FileHandle;
  #end: number;
  #seq: number;
  readonly #live: Map<DecisionId, DurableDecision>;
  #queue: PendingWrite[] = [];
  #flushing: Promise<void> | null = null;
  #failure: Error | null = null;
  #closed = false;

  private constructor(
    dir: string,
    file: FileHandle,
    end: number,
    seq: number,
    live: Map<DecisionId, DurableDecision>,
    options: StateLogOptions,
  ) {
    this.#dir = dir;
    this.path = join(dir, STATE_FILE);
    this.#file = file;
    this.#end = end;
    this.#seq = seq;
    this.#live = live;
    this.#options = options;
  }

  /**
   * Opens (or, when `create` allows it and there is none, creates) the log in `dir`. Throws
   * CorruptStateError when the state cannot be trusted, including when it is missing but expected.
   */
  static async open(
    dir: string,
    opts: { create: boolean } & Partial<StateLogOptions>,
  ): Promise<OpenedStateLog> {
    const options = { ...DEFAULT_OPTIONS, ...opts };
    const path = join(dir, STATE_FILE);
    const exists = await stat(path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    if (!exists) {
      if (!opts.create)
        throw new CorruptStateError(path, null, 'the file is missing, but this node has voted before');
      await writeSnapshot(dir, 1, new Map());
      const file = await open(path, 'r+');
      const end = (await file.stat()).size;
      const log = new StateLog(dir, file, end, 1, new Map(), options);
      return { log, records: new Map(), recovery: { tornBytes: 0, repairedCommits: 0, created: true } };
    }
    const outcome = recoverLog(await readWhole(path));
    if (!outcome.ok) throw new CorruptStateError(path, outcome.offset, outcome.problem);
    const { records, lastSeq, validEnd, tornBytes, repairedCommits } = outcome.log;
    const file = await open(path, 'r+');
    if (tornBytes > 0) {
      await file.truncate(validEnd);
      await file.sync();
    }
    const log = new StateLog(dir, file, validEnd, lastSeq, new Map(records), options);
    return { log, records, recovery: { tornBytes, repairedCommits, created: false } };
  }

  /** Resolves once `records` are on disk. After a failed write every later write fails too. */
  write(records: readonly DurableDecision[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the state log is closed'));
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (records.length === 0) return this.#flushing ?? Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ records, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  get records(): ReadonlyMap<DecisionId, DurableDecision> {
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
        this.#failure = new Error(`writing ${this.path} failed; this node stops voting: ${String(cause)}`, {
          cause,
        });
        for (const w of [...batch, ...this.#queue]) w.reject(this.#failure);
        this.#queue = [];
      }
    }
    this.#flushing = null;
  }

  async #commit(records: readonly DurableDecision[]): Promise<void> {
    const seq = this.#seq + 1;
    const frame = encodeFrame(seq, encodeCommit({ snapshot: false, records }));
    await this.#file.write(Buffer.concat([frame, frame]), 0, frame.length * 2, this.#end);
    await this.#file.datasync();
    this.#seq = seq;
    this.#end += frame.length * 2;
    for (const record of records) this.#live.set(record.id, record);
    if (this.#end >= this.#options.compactAtBytes) await this.#compact();
  }

  /** Replaces the log with one snapshot commit: written aside, fsynced, renamed, directory fsynced. */
  async #compact(): Promise<void> {
    const seq = this.#seq + 1;
    const size = await writeSnapshot(this.#dir, seq, this.#live);
    // Keep appending to a bloated log rather than compacting at every commit when state is large.
    if (size * 2 > this.#options.compactAtBytes)
      return void (await rm(join(this.#dir, TEMP_FILE), { force: true }));
    await this.#file.close();
    await rename(join(this.#dir, TEMP_FILE), this.path);
    await fsyncDirectory(this.#dir);
    this.#file = await open(this.path, 'r+');
    this.#seq = seq;
    this.#end = size;
  }
}

/** Writes a snapshot commit to the temp file (and, for a new log, renames it into place). */
async function writeSnapshot(
  dir: string,
  seq: number,
  records: ReadonlyMap<DecisionId, DurableDecision>,
): Promise<number> {
  const commit: Commit = { snapshot: true, records: [...records.values()] };
  const frame = encodeFrame(seq, encodeCommit(commit));
  const temp = join(dir, TEMP_FILE);
  const file = await open(temp, 'w');
  try {
    await file.write(Buffer.concat([frame, frame]));
    await file.sync();
  } finally {
    await file.close();
  }
  if (seq === 1 && records.size === 0) {
    await rename(temp, join(dir, STATE_FILE));
    await fsyncDirectory(dir);
  }
  return frame.length * 2;
}
