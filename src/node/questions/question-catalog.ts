import { LIMITS } from '../../model/limits.ts';
import type { QuestionDefinition } from '../../model/question.ts';
import type { StateLog } from '../../storage/index.ts';
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
 * The questions this node knows, in memory and in questions.log. Memory is what the node works with: a
 * question is there the moment it is learned, so an outcome that arrives while the question's write is
 * on its way finds it. **What is shown is what is on disk**: `shown` and `newestFirst` give the records
 * as last written and fsynced, and `written` tells when a record is, so that no page, API answer or
 * event says what a crash could unsay. Every change is written at once; writes that meet during a
 * fsync share the next one (the log's group commit), so the cost is batching that waits, never a write
 * that lies. A failed write is a storage failure like any other.
 */
export class QuestionCatalog {
  readonly #log: StateLog<QuestionRecord>;
  readonly #records = new Map<string, QuestionRecord>();
  readonly #onFailure: (error: Error) => void;
  /** When each member's questions were asked, per member: for the limits on how many one may ask. */
  readonly #askedAt = new Map<string, number[]>();
  /** The records on disk, newest first; rebuilt only after a write. */
  #newestFirst: QuestionRecord[] | null = null;
  /** Per record being written, the write of its newest version. */
  readonly #writing = new Map<string, Promise<void>>();
  /**
   * When the group decided a question, as a member said while passing on its outcome: noted as this
   * node's decision time once this node has the outcome on disk (see markDecided). One per question
   * this node knows, at most.
   */
  readonly #groupDecidedAt = new Map<string, number>();
  /** The votes and auctions (not quick decisions): the vote desk looks at these often, the rest never. */
  readonly #ruleQuestions = new Set<string>();

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

  /** The question as this node knows it now (perhaps not on disk yet: never show it from here). */
  get(id: string): QuestionRecord | undefined {
    return this.#records.get(id);
  }

  /** The question as it is on disk: what may be shown. */
  shown(id: string): QuestionRecord | undefined {
    return this.#log.records.get(id);
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

  /** The questions on disk, newest first: what the views list. */
  newestFirst(): readonly QuestionRecord[] {
    this.#newestFirst ??= [...this.#log.records.values()].sort(
      (a, b) => b.definition.createdAt - a.definition.createdAt || a.id.localeCompare(b.id),
    );
    return this.#newestFirst;
  }

  /** Adds a question at once; resolves when it is on disk (rejects when the write failed). */
  add(definition: QuestionDefinition): Promise<void> {
    if (this.#records.has(definition.id)) return this.written(definition.id);
    const record: QuestionRecord = { id: definition.id, definition, decidedAt: null };
    this.#records.set(record.id, record);
    this.#noteAsked(definition);
    if (definition.rule !== 'quick') this.#ruleQuestions.add(record.id);
    return this.#write(record);
  }

  /**
   * A member passing on the outcome said when the group decided: a laptop that was away shows that
   * time, not the time it came back. Used by markDecided; only for a question known and not decided.
   */
  noteGroupDecidedAt(id: string, at: number): void {
    const record = this.#records.get(id);
    if (record === undefined || record.decidedAt !== null) return;
    this.#groupDecidedAt.set(id, at);
  }

  /**
   * Notes when this node learned the outcome (the first time only; the group's time when a member said
   * it), to be called once the outcome is on disk. Resolves with the record once the time is on disk
   * too: only then may the decision be shown.
   */
  async markDecided(id: string, at: number): Promise<QuestionRecord | undefined> {
    const record = this.#records.get(id);
    if (record === undefined) return undefined;
    if (record.decidedAt === null) {
      const updated = { ...record, decidedAt: this.#groupDecidedAt.get(id) ?? at };
      this.#groupDecidedAt.delete(id);
      this.#records.set(id, updated);
      await this.#write(updated);
    } else {
      await this.written(id);
    }
    return this.#records.get(id);
  }

  /** Resolves once the newest version of the record is on disk (at once when it is). */
  written(id: string): Promise<void> {
    return this.#writing.get(id) ?? Promise.resolve();
  }

  /** Resolves once every write begun so far is on disk. */
  async flush(): Promise<void> {
    await Promise.all(this.#writing.values());
  }

  #noteAsked(definition: QuestionDefinition): void {
    const asked = this.#askedAt.get(definition.createdBy) ?? [];
    asked.push(definition.createdAt);
    this.#askedAt.set(definition.createdBy, asked);
  }

  #write(record: QuestionRecord): Promise<void> {
    const written = this.#log.write([record]).then(() => {
      this.#newestFirst = null;
      if (this.#writing.get(record.id) === written) this.#writing.delete(record.id);
    });
    this.#writing.set(record.id, written);
    written.catch((error: unknown) =>
      this.#onFailure(error instanceof Error ? error : new Error(String(error))),
    );
    return written;
  }
}
