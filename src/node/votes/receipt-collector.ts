import type { QuestionDefinition } from '../../model/question.ts';
import type { VoteReceipt } from '../../model/receipts.ts';
import type { WireMessage } from '../../net/wire.ts';
import { quorumSize } from '../../paxos/index.ts';
import type { Logger } from '../../util/logger.ts';
import type { QuestionRecord } from '../questions/catalog.ts';
import type { VoteBook } from './vote-book.ts';
import type { VoteChecks } from './vote-checks.ts';
import { receiptFor } from './vote-receipts.ts';

/** Receipts still missing are asked for again after this long, then twice as long each time, up to 30 s. */
export const RECEIPT_RETRY_FIRST_MS = 1_000;
export const RECEIPT_RETRY_MAX_MS = 30_000;

export interface ReceiptCollectorContext {
  readonly self: string;
  readonly book: VoteBook;
  readonly log: Logger;
  question(id: string): QuestionRecord | undefined;
  /** Open questions decided by vote or auction (undecided in this node's view). */
  openRuleQuestions(): Iterable<QuestionRecord>;
  checks(): VoteChecks;
  connectedPeers(): string[];
  send(to: string, message: WireMessage): void;
  /** The value this node's acceptor has accepted for the question, if any. */
  accepted(id: string): string | null;
  rejected(from: string, reason: string): void;
  /** A question's receipts changed: the UI should hear of it. */
  changed(id: string): void;
  now(): number;
}

/**
 * Vote receipts, both sides. As an acceptor, this node answers for the votes it holds (see
 * receiptFor). As a voter, for this node's own vote on each open question, it asks the
 * question's acceptors for their receipts until a strict majority of them have given one (a vote is
 * *counted* then: every close Paxos can choose counts it), and keeps each on disk before it is
 * shown, so that a laptop never takes back "counted" after a crash.
 */
export class ReceiptCollector {
  readonly #ctx: ReceiptCollectorContext;
  /** Writes of receipts, one after another per question (each writes all held for it). */
  readonly #writing = new Map<string, Promise<void>>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #delay = RECEIPT_RETRY_FIRST_MS;
  #stopped = false;

  constructor(ctx: ReceiptCollectorContext) {
    this.#ctx = ctx;
  }

  /** How many of the question's acceptors have given a receipt for this node's vote, and how many are needed. */
  held(definition: QuestionDefinition): { readonly receipts: number; readonly needed: number } {
    const vote = this.#ctx.book.voteOf(definition.id, this.#ctx.self);
    const receipts = vote === undefined ? 0 : this.#ctx.book.receipts(definition.id, vote.signature).length;
    return { receipts, needed: quorumSize({ acceptors: definition.acceptors, learners: [] }) };
  }

  /** This node's vote on the question changed (it is on disk): ask its acceptors at once. */
  voted(questionId: string): void {
    this.#delay = RECEIPT_RETRY_FIRST_MS;
    this.#ask(questionId, this.#ctx.connectedPeers());
    this.#schedule();
  }

  /** A peer connected: ask it for the receipts it owes this node's votes. */
  connected(peer: string): void {
    for (const record of this.#ctx.openRuleQuestions()) this.#ask(record.id, [peer]);
  }

  /** This acceptor's receipt for the member's vote it holds, sent to `to` when asked (see receiptFor). */
  answer(to: string, questionId: string, voter: string): void {
    const record = this.#ctx.question(questionId);
    const receipt = record === undefined ? null : receiptFor(this.#ctx, record.definition, voter);
    if (receipt !== null) this.#ctx.send(to, { type: 'vote-receipt', receipt });
  }

  /** This acceptor's receipt for a vote it has just kept, to its voter when connected (unasked). */
  give(definition: QuestionDefinition, voter: string): void {
    if (voter === this.#ctx.self || !this.#ctx.connectedPeers().includes(voter)) return;
    const receipt = receiptFor(this.#ctx, definition, voter);
    if (receipt !== null) this.#ctx.send(voter, { type: 'vote-receipt', receipt });
  }

  /** A receipt from `from`: kept when an acceptor of the question signed it for this node's current vote. */
  async receive(from: string, receipt: VoteReceipt): Promise<void> {
    const record = this.#ctx.question(receipt.question);
    if (record === undefined || receipt.voter !== this.#ctx.self) return;
    const problem = this.#ctx.checks().receiptProblem(record.definition, receipt);
    if (problem !== null) return this.#ctx.rejected(from, problem);
    await this.#keep(record.definition, receipt);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }

  /** Asks those of `peers` that are acceptors of the question and owe a receipt for this node's vote. */
  #ask(questionId: string, peers: readonly string[]): void {
    const record = this.#ctx.question(questionId);
    const vote = this.#ctx.book.voteOf(questionId, this.#ctx.self);
    if (record === undefined || vote === undefined) return;
    const given = new Set(this.#ctx.book.receipts(questionId, vote.signature).map((r) => r.by));
    const { acceptors } = record.definition;
    if (given.size === acceptors.length) return;
    // This node's own acceptor answers at once, on the same terms as to anyone.
    if (acceptors.includes(this.#ctx.self) && !given.has(this.#ctx.self)) {
      const own = receiptFor(this.#ctx, record.definition, this.#ctx.self);
      if (own !== null) void this.#keep(record.definition, own).catch(() => undefined);
    }
    for (const peer of peers)
      if (acceptors.includes(peer) && !given.has(peer) && peer !== this.#ctx.self)
        this.#ctx.send(peer, { type: 'vote-receipt-request', question: questionId, voter: this.#ctx.self });
  }

  /** Adds the receipt to those on disk for this node's current vote (one write at a time per question). */
  #keep(definition: QuestionDefinition, receipt: VoteReceipt): Promise<void> {
    const id = definition.id;
    const previous = this.#writing.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      const vote = this.#ctx.book.voteOf(id, this.#ctx.self);
      if (vote === undefined || receipt.vote !== vote.signature || receipt.seq !== vote.seq) return;
      const held = this.#ctx.book.receipts(id, vote.signature);
      if (held.some((r) => r.by === receipt.by)) return;
      await this.#ctx.book.keepReceipts(id, vote.signature, [...held, receipt]);
      this.#ctx.changed(id);
    });
    const settled = next.catch((error: unknown) =>
      this.#ctx.log.warn('could not keep a vote receipt', { question: id, error: String(error) }),
    );
    this.#writing.set(id, settled);
    void settled.then(() => {
      if (this.#writing.get(id) === settled) this.#writing.delete(id);
    });
    return next;
  }

  /** Asks again, with backoff, for as long as some vote of this node lacks a majority of receipts. */
  #schedule(): void {
    if (this.#stopped || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      let missing = false;
      for (const record of this.#ctx.openRuleQuestions()) {
        const { receipts, needed } = this.held(record.definition);
        const voted = this.#ctx.book.voteOf(record.id, this.#ctx.self) !== undefined;
        if (!voted || receipts >= record.definition.acceptors.length) continue;
        if (receipts < needed) missing = true;
        this.#ask(record.id, this.#ctx.connectedPeers());
      }
      this.#delay = Math.min(this.#delay * 2, RECEIPT_RETRY_MAX_MS);
      if (missing) this.#schedule();
    }, this.#delay);
    this.#timer.unref?.();
  }
}
