import type { QuestionDefinition } from '../model/question.ts';
import type { StateLog } from '../storage/index.ts';
import type { QuestionRecord } from './catalog.ts';

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
  /** Newest first, rebuilt only after a question was added. */
  #newestFirst: QuestionRecord[] | null = null;

  constructor(
    log: StateLog<QuestionRecord>,
    records: Iterable<QuestionRecord>,
    onFailure: (error: Error) => void,
  ) {
    this.#log = log;
    this.#onFailure = onFailure;
    for (const record of records) this.#records.set(record.id, record);
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

  #write(record: QuestionRecord): Promise<void> {
    const written = this.#log.write([record]);
    written.catch((error: unknown) =>
      this.#onFailure(error instanceof Error ? error : new Error(String(error))),
    );
    return written;
  }
}
