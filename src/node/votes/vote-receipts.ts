import type { QuestionDefinition } from '../../model/question.ts';
import type { VoteReceipt } from '../../model/receipts.ts';
import { decodeClose, supersedes, type CloseValue, type MemberVote } from '../../model/rules.ts';
import type { VoteBook } from './vote-book.ts';
import type { VoteChecks } from './vote-checks.ts';

/*
 * An acceptor's side of vote receipts (see VoteReceipt): once a strict majority of a question's
 * acceptors hold a vote and say so, every close Paxos can choose counts it. Two rules make a receipt
 * true: every close an acceptor accepts must count the votes it holds (VoteDesk.acceptable), and an
 * acceptor that has accepted a close takes no more votes, nor gives a receipt for a vote that close
 * leaves out (one whose write ended just after the close was accepted).
 */

export interface ReceiptContext {
  readonly self: string;
  readonly book: VoteBook;
  /** The value this node's acceptor has accepted for the question, if any. */
  accepted(id: string): string | null;
  checks(): VoteChecks;
}

/**
 * Whether an acceptor must refuse `close` now, at its own clock `now`: a close by anyone but the
 * asker before the deadline. Judged by the acceptor's clock, never by the date in the close (a
 * closer's clock is its own claim), and only when it first accepts it: a close it has accepted
 * already is taken again at any time (it may have been chosen), so no date can stall a vote later.
 */
export function closesEarly(definition: QuestionDefinition, close: CloseValue, now: number): boolean {
  return close.by !== definition.createdBy && (definition.deadline === null || now < definition.deadline);
}

/** Whether this node is an acceptor of the question that has accepted a close of it: it takes no more votes. */
export function closedHere(ctx: ReceiptContext, definition: QuestionDefinition): boolean {
  return definition.acceptors.includes(ctx.self) && ctx.accepted(definition.id) !== null;
}

/**
 * This acceptor's receipt for the member's standing vote on the question, or null: when it is no
 * acceptor of it, holds no vote of that member on disk, or has accepted a close that leaves it out.
 */
export function receiptFor(
  ctx: ReceiptContext,
  definition: QuestionDefinition,
  voter: string,
): VoteReceipt | null {
  if (!definition.acceptors.includes(ctx.self)) return null;
  const vote = ctx.book.voteOf(definition.id, voter);
  if (vote === undefined) return null;
  const accepted = ctx.accepted(definition.id);
  if (accepted !== null && !counts(ctx.book, definition.id, accepted, vote)) return null;
  return ctx.checks().signReceipt(vote, ctx.self);
}

/** Whether the close `value` counts `vote`, or a newer vote of its member. */
function counts(book: VoteBook, questionId: string, value: string, vote: MemberVote): boolean {
  const close = decodeClose(value);
  const set = close === null ? undefined : book.set(questionId, close.digest);
  const counted = set?.votes.find((v) => v.by === vote.by);
  return counted !== undefined && (counted.signature === vote.signature || supersedes(counted, vote));
}
