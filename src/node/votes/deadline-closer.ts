import { mayVote } from '../../model/question.ts';
import type { Logger } from '../../util/logger.ts';
import type { QuestionRecord } from '../questions/catalog.ts';

/** A member who is neither the asker nor an acceptor closes this long after the deadline (plus a part fixed per node and question), if nobody has. */
export const CLOSE_GRACE_MS = 10_000;
const CLOSE_JITTER_MS = 20_000;

export interface DeadlineCloserContext {
  readonly self: string;
  readonly log: Logger;
  /** Open questions decided by vote or auction (undecided in this node's view). */
  openRuleQuestions(): Iterable<QuestionRecord>;
  /** Proposes a close for the question (the node's close, as if its user had clicked). */
  close(id: string): Promise<void>;
  now(): number;
}

/**
 * One timer for the nearest deadline of an open question. At it the asker's and the acceptors'
 * nodes close it, each with its own view of the votes, and Paxos chooses one; any other member's node
 * closes a little later (with a random part) if the question is still open, so that a vote closes
 * even when its asker and acceptors are away, without every laptop of a large group closing at once.
 */
export class DeadlineCloser {
  readonly #ctx: DeadlineCloserContext;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #rescheduling = false;
  #stopped = false;
  /** Questions this node has closed at their deadline (it does not close them again on its own). */
  readonly #closing = new Set<string>();

  constructor(ctx: DeadlineCloserContext) {
    this.#ctx = ctx;
  }

  schedule(): void {
    // Many questions learned at once (a catalog exchange) reschedule once.
    if (this.#stopped || this.#rescheduling) return;
    this.#rescheduling = true;
    setImmediate(() => {
      this.#rescheduling = false;
      this.#reschedule();
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }

  #reschedule(): void {
    if (this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const now = this.#ctx.now();
    let next = Number.POSITIVE_INFINITY;
    for (const record of this.#ctx.openRuleQuestions()) {
      const due = this.#closesAt(record);
      if (due !== null) next = Math.min(next, due);
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => void this.#closeDue(), Math.max(0, Math.min(next - now, 2 ** 31 - 1)));
    this.#timer.unref?.();
  }

  async #closeDue(): Promise<void> {
    this.#timer = null;
    const now = this.#ctx.now();
    for (const record of [...this.#ctx.openRuleQuestions()]) {
      const due = this.#closesAt(record);
      if (due === null || due > now) continue;
      this.#closing.add(record.id);
      await this.#ctx.close(record.id).catch((error: unknown) =>
        this.#ctx.log.warn('could not close at the deadline', {
          question: record.id,
          error: String(error),
        }),
      );
    }
    this.#reschedule();
  }

  #closesAt(record: QuestionRecord): number | null {
    const { deadline, createdBy, acceptors } = record.definition;
    if (deadline === null || this.#closing.has(record.id) || !mayVote(record.definition, this.#ctx.self))
      return null;
    if (createdBy === this.#ctx.self || acceptors.includes(this.#ctx.self)) return deadline;
    // The same delay each time it is computed: derived from the question and this node.
    return deadline + CLOSE_GRACE_MS + Math.floor(spread(`${record.id}:${this.#ctx.self}`) * CLOSE_JITTER_MS);
  }
}

/** A number in [0, 1) from a string, the same on every run. */
function spread(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}
