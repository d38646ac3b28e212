import type { WireMessage } from '../../net/wire.ts';
import type { VoteBook } from './vote-book.ts';

/**
 * The votes of a chosen close that this node lacks are asked for again, from every member connected,
 * after 1 s, then twice as long each time up to 30 s, for as long as it lacks them; and at once from a
 * member that connects. Without them the node cannot show the winner or the final tally.
 */
export const CHOSEN_SET_RETRY_FIRST_MS = 1_000;
export const CHOSEN_SET_RETRY_MAX_MS = 30_000;

export interface ChosenSetWantsContext {
  readonly book: VoteBook;
  connectedPeers(): string[];
  send(to: string, message: WireMessage): void;
  now(): number;
}

/** The vote sets of chosen closes this node lacks, asked for until they are on its disk. */
export class ChosenSetWants {
  readonly #ctx: ChosenSetWantsContext;
  /** By question: the digest wanted, when to ask again, and the delay after. */
  readonly #wanted = new Map<string, { digest: string; at: number; delay: number }>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  constructor(ctx: ChosenSetWantsContext) {
    this.#ctx = ctx;
  }

  want(questionId: string, digest: string): void {
    if (this.#ctx.book.set(questionId, digest) !== undefined) return;
    if (this.#wanted.get(questionId)?.digest === digest) return;
    this.#wanted.set(questionId, { digest, at: 0, delay: CHOSEN_SET_RETRY_FIRST_MS });
    this.#ask();
  }

  /** The set is on this node's disk now. */
  arrived(questionId: string, digest: string): void {
    if (this.#wanted.get(questionId)?.digest === digest) this.#wanted.delete(questionId);
  }

  /** A peer connected: ask it at once. */
  connected(peer: string): void {
    for (const [question, want] of this.#wanted)
      this.#ctx.send(peer, { type: 'vote-set-request', question, digest: want.digest });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }

  #ask(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#stopped) return;
    const now = this.#ctx.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [question, want] of this.#wanted) {
      if (this.#ctx.book.set(question, want.digest) !== undefined) {
        this.#wanted.delete(question);
        continue;
      }
      if (want.at <= now) {
        for (const peer of this.#ctx.connectedPeers())
          this.#ctx.send(peer, { type: 'vote-set-request', question, digest: want.digest });
        want.at = now + want.delay;
        want.delay = Math.min(want.delay * 2, CHOSEN_SET_RETRY_MAX_MS);
      }
      next = Math.min(next, want.at);
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => this.#ask(), Math.max(0, next - now));
    this.#timer.unref?.();
  }
}
