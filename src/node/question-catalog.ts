import { LIMITS } from '../model/limits.ts';
import type { QuestionDefinition } from '../model/question.ts';
import type { StateLog } from '../storage/index.ts';
import type { QuestionRecord } from './catalog.ts';

/** How many questions one member may ask (see LIMITS); the same for this node and its peers. */
export interface QuestionLimits {
  readonly perMinute: number;
  readonly total: number;
}

/**
 * How long a write that need not cost an fsync of its own waits for one: a decision's time (shown to
 * people, never used to decide anything), and a question learned from another member (this node has
 * acknowledged it to no one, its acceptor set reaches the state log with its first vote anyway, and
 * members send their catalogs to each other on every connection). They go to disk with the next write
 * of the catalog, or after this delay. A crash in between loses them: the restart notes its own time
 * for a decision (see reopenCatalogQuestions), and the question comes back from the members.
 */
export const DEFERRED_WRITE_MS = 1_000;

export const DEFAULT_QUESTION_LIMITS: QuestionLimits = {
  perMinute: LIMITS.questionsPerMemberPerMinute,
  total: LIMITS.questionsPerMember,
};

/**
 * The questions this node knows, in memory and in questions.log. Memory is the truth for views and
 * messages: a question is there the moment it is learned, so an outcome that arrives while the
 * question's write is still on its way finds it (it used to be missed, leaving `decidedAt` empty for
 * ever). Writes go to the log in order; a failed write is a storage failure like any other.
 */
export class QuestionCatalog {
  readonly #log: StateLog<QuestionRecord>;
  readonly #records = new Map<string, QuestionRecord>();
  readonly #onFailure: (error: Error) => void;
  /** When each member's questions were asked, per member: for the limits on how many one may ask. */
  readonly #askedAt = new Map<string, number[]>();
  /** Newest first, rebuilt only after a question was added. */
  #newestFirst: QuestionRecord[] | null = null;
  /** Records not written yet (see DEFERRED_WRITE_MS). */
  readonly #unwritten = new Map<string, QuestionRecord>();
  /** The votes and auctions (not quick decisions): the vote desk looks at these often, the rest never. */
  readonly #ruleQuestions = new Set<string>();
  #unwrittenTimer: NodeJS.Timeout | null = null;

  readonly #limits: QuestionLimits;

  constructor(
    log: StateLog<QuestionRecord>,
    records: Iterable<QuestionRecord>,
    onFailure: (error: Error) => void,
    limits: QuestionLimits = DEFAULT_QUESTION_LIMITS,
  ) {
    this.#log = log;
    this.#onFailure = onFailure;
    this.#limits = limits;
    for (const record of records) {
      this.#records.set(record.id, record);
      this.#noteAsked(record.definition);
    }
    for (const record of this.#records.values())
      if (record.definition.rule !== 'quick') this.#ruleQuestions.add(record.id);
  }

  /** Why one more question by `createdBy`, dated `createdAt`, is over the limits, or null. */
  limitProblem(createdBy: string, createdAt: number): string | null {
    const { perMinute, total } = this.#limits;
    const asked = this.#askedAt.get(createdBy) ?? [];
    if (asked.length >= total) return `a member may have at most ${total} questions`;
    if (asked.length < perMinute) return null;
    const sameMinute = asked.filter((t) => t > createdAt - 60_000 && t <= createdAt).length;
    if (sameMinute >= perMinute) return `a member may ask at most ${perMinute} questions a minute`;
    return null;
  }

  get size(): number {
    return this.#records.size;
  }

  get(id: string): QuestionRecord | undefined {
    return this.#records.get(id);
  }

  ids(): IterableIterator<string> {
    return this.#records.keys();
  }

  values(): IterableIterator<QuestionRecord> {
    return this.#records.values();
  }

  /** The questions decided by a vote or an auction rather than by the first proposal. */
  *ruleQuestions(): IterableIterator<QuestionRecord> {
    for (const id of this.#ruleQuestions) {
      const record = this.#records.get(id);
      if (record !== undefined) yield record;
    }
  }

  newestFirst(): readonly QuestionRecord[] {
    this.#newestFirst ??= [...this.#records.values()].sort(
      (a, b) => b.definition.createdAt - a.definition.createdAt || a.id.localeCompare(b.id),
    );
    return this.#newestFirst;
  }

  /**
   * Adds a question at once; resolves when it is on disk (rejects when the write failed). A question
   * learned from another member may wait for the next write (`soon`, see DEFERRED_WRITE_MS).
   */
  add(definition: QuestionDefinition, when: 'now' | 'soon' = 'now'): Promise<void> {
    if (this.#records.has(definition.id)) return Promise.resolve();
    const record: QuestionRecord = { id: definition.id, definition, decidedAt: null };
    this.#records.set(record.id, record);
    this.#noteAsked(definition);
    if (definition.rule !== 'quick') this.#ruleQuestions.add(record.id);
    this.#newestFirst = null;
    if (when === 'soon') {
      this.#writeSoon(record);
      return Promise.resolve();
    }
    return this.#write([...this.#takeUnwritten(), record]);
  }

  /** Notes when this node learned the outcome (the first time only); returns the updated record. */
  markDecided(id: string, at: number): QuestionRecord | undefined {
    const record = this.#records.get(id);
    if (record === undefined || record.decidedAt !== null) return record;
    const updated = { ...record, decidedAt: at };
    this.#records.set(id, updated);
    this.#newestFirst = null;
    this.#writeSoon(updated);
    return updated;
  }

  #writeSoon(record: QuestionRecord): void {
    this.#unwritten.set(record.id, record);
    this.#unwrittenTimer ??= setTimeout(() => {
      this.#unwrittenTimer = null;
      void this.flush().catch(() => undefined);
    }, DEFERRED_WRITE_MS).unref();
  }

  /** Writes what waits to be written; resolves when it is on disk. */
  flush(): Promise<void> {
    const records = this.#takeUnwritten();
    return records.length === 0 ? Promise.resolve() : this.#write(records);
  }

  #takeUnwritten(): QuestionRecord[] {
    if (this.#unwrittenTimer !== null) clearTimeout(this.#unwrittenTimer);
    this.#unwrittenTimer = null;
    const records = [...this.#unwritten.values()];
    this.#unwritten.clear();
    return records;
  }

  #noteAsked(definition: QuestionDefinition): void {
    const asked = this.#askedAt.get(definition.createdBy) ?? [];
    asked.push(definition.createdAt);
    this.#askedAt.set(definition.createdBy, asked);
  }

  #write(records: QuestionRecord[]): Promise<void> {
    const written = this.#log.write(records);
    written.catch((error: unknown) =>
      this.#onFailure(error instanceof Error ? error : new Error(String(error))),
    );
    return written;
  }
}
