import { LIMITS } from '../model/limits.ts';
import type { QuestionDefinition } from '../model/question.ts';
import type { StateLog } from '../storage/index.ts';
import type { QuestionRecord } from './catalog.ts';

/** How many questions one member may ask (see LIMITS); the same for this node and its peers. */
export interface QuestionLimits {
  readonly perMinute: number;
  readonly total: number;
}

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

  newestFirst(): readonly QuestionRecord[] {
    this.#newestFirst ??= [...this.#records.values()].sort(
      (a, b) => b.definition.createdAt - a.definition.createdAt || a.id.localeCompare(b.id),
    );
    return this.#newestFirst;
  }

  /** Adds a question at once; resolves when it is on disk (rejects when the write failed). */
  add(definition: QuestionDefinition): Promise<void> {
    if (this.#records.has(definition.id)) return Promise.resolve();
    const record: QuestionRecord = { id: definition.id, definition, decidedAt: null };
    this.#records.set(record.id, record);
    this.#noteAsked(definition);
    this.#newestFirst = null;
    return this.#write(record);
  }

  /** Notes when this node learned the outcome (the first time only); returns the updated record. */
  markDecided(id: string, at: number): QuestionRecord | undefined {
    const record = this.#records.get(id);
    if (record === undefined || record.decidedAt !== null) return record;
    const updated = { ...record, decidedAt: at };
    this.#records.set(id, updated);
    this.#newestFirst = null;
    void this.#write(updated).catch(() => undefined);
    return updated;
  }

  #noteAsked(definition: QuestionDefinition): void {
    const asked = this.#askedAt.get(definition.createdBy) ?? [];
    asked.push(definition.createdAt);
    this.#askedAt.set(definition.createdBy, asked);
  }

  #write(record: QuestionRecord): Promise<void> {
    const written = this.#log.write([record]);
    written.catch((error: unknown) =>
      this.#onFailure(error instanceof Error ? error : new Error(String(error))),
    );
    return written;
  }
}
