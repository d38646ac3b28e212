import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LIMITS } from './limits.ts';
import {
  humanText,
  isAllowedOption,
  peerIdSchema,
  questionIdSchema,
  type DecisionRule,
  type QuestionDefinition,
} from './question.ts';
import { signatureSchema } from './vote-schemas.ts';

/*
 * The decision rules. Paxos always makes the final step, one decision per question:
 * - `quick`: the first proposal that a majority of the acceptors accepts wins.
 * - `vote`: members vote (and may change their vote) until the question is closed; the close is a
 *   Paxos proposal of one member's view of the votes, and the winner follows from the chosen votes.
 * - `sealed-bid`: the same, with amounts: the highest bid wins; bids are not shown before the close.
 */
export { DECISION_RULES, type DecisionRule } from './question.ts';

/** The most a bid may be: far above any real auction, and exact in a double. */
export const MAX_BID = 1_000_000_000;

/** Amounts are money-like: at most two decimals, so every node compares the same numbers. */
export const bidAmountSchema = z
  .number()
  .positive('a bid must be more than 0')
  .max(MAX_BID, `a bid is at most ${MAX_BID}`)
  .refine((n) => Math.round(n * 100) === n * 100, 'a bid has at most two decimals');

/**
 * A member's vote (amount null) or sealed bid on a question, signed by the member. A member has one
 * standing vote per question: a newer one (higher `seq`) replaces the older.
 */
export const memberVoteSchema = z.object({
  question: questionIdSchema,
  by: peerIdSchema,
  option: humanText('the option', LIMITS.optionChars),
  amount: bidAmountSchema.nullable(),
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  signature: signatureSchema,
});
export type MemberVote = z.infer<typeof memberVoteSchema>;

/** The option of every bid in an auction that lists no options: the single lot on sale. */
export const SOLE_LOT = 'the lot';

/** Whether a vote or bid may name `option`: a listed one, or another when the question allows it. */
export function isAllowedVoteOption(question: QuestionDefinition, option: string): boolean {
  if (question.rule === 'sealed-bid' && question.options.length === 0) return option === SOLE_LOT;
  return isAllowedOption(question, option);
}

/** The votes of one question that anyone may hold: one per member of the group at most. */
export const MAX_VOTES_PER_QUESTION = 256;

/**
 * Whether `candidate` replaces `current` as a member's standing vote: a higher seq wins; at the same
 * seq (a member that signed two votes with one number) the smaller signature wins, so that every node
 * settles on the same one whatever order they arrive in.
 */
export function supersedes(candidate: MemberVote, current: MemberVote | undefined): boolean {
  if (current === undefined) return true;
  if (candidate.seq !== current.seq) return candidate.seq > current.seq;
  return candidate.signature < current.signature;
}

/** The standing vote of each member among `votes`, in the order of their peer ids. */
export function standingVotes(votes: readonly MemberVote[]): MemberVote[] {
  const byMember = new Map<string, MemberVote>();
  for (const vote of votes) if (supersedes(vote, byMember.get(vote.by))) byMember.set(vote.by, vote);
  return [...byMember.values()].sort((a, b) => compareText(a.by, b.by));
}

/**
 * The digest that a close commits to: SHA-256 over the canonical encoding of a set of standing votes
 * (sorted by member, fields in a fixed order). Two nodes holding the same votes compute the same
 * digest, whatever order the votes reached them in.
 */
export function voteSetDigest(question: string, votes: readonly MemberVote[]): string {
  const canonical = standingVotes(votes).map((v) => [v.by, v.option, v.amount, v.seq, v.signature]);
  return createHash('sha256')
    .update(JSON.stringify(['synod/votes', question, canonical]), 'utf8')
    .digest('hex');
}

/**
 * What Paxos decides for a `vote` or `sealed-bid` question: one member's close, naming the set of
 * votes it saw by their digest (the set itself travels and is stored beside it; an acceptor accepts a
 * close only once it holds that set on disk).
 */
export interface CloseValue {
  readonly kind: 'close';
  readonly question: string;
  readonly by: string;
  readonly at: number;
  readonly digest: string;
  readonly count: number;
  readonly signature: string;
}

const closeValueSchema = z.object({
  kind: z.literal('close'),
  question: questionIdSchema,
  by: peerIdSchema,
  at: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  count: z.number().int().nonnegative().max(MAX_VOTES_PER_QUESTION),
  signature: signatureSchema,
});

export function encodeClose(close: CloseValue): string {
  const { kind, question, by, at, digest, count, signature } = close;
  return JSON.stringify({ kind, question, by, at, digest, count, signature });
}

export function decodeClose(value: string): CloseValue | null {
  try {
    const parsed = closeValueSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What the tally needs of a question. */
export interface TalliedQuestion {
  readonly rule: DecisionRule;
  readonly options: readonly string[];
}

export interface TallyLine {
  readonly option: string;
  /** For a vote: how many voted for it. For sealed bids: the highest amount bid for it. */
  readonly score: number;
  /** Who voted for it; for sealed bids, who bid, highest first. */
  readonly members: readonly string[];
}

export interface Tally {
  readonly counted: number;
  /** Options in the order of the result: the winner first. */
  readonly lines: readonly TallyLine[];
  /** The winning option and, for sealed bids, the winning bid; null when nothing was cast. */
  readonly winner: {
    readonly option: string;
    readonly by: string | null;
    readonly amount: number | null;
  } | null;
}

/**
 * The result of a set of votes, computed the same way on every node.
 * - vote: most votes wins; a tie goes to the option listed first in the question, and between
 *   answers not on the list, to the one first in code-point order.
 * - sealed-bid: the highest bid wins; a tie between equal amounts goes by the same order of options,
 *   then to the bidder whose peer id comes first in code-point order (a lot nobody can steer).
 * Only each member's standing vote counts; the caller passes only votes valid for the question.
 */
export function tally(question: TalliedQuestion, votes: readonly MemberVote[]): Tally {
  const standing = standingVotes(votes);
  const listed = new Map(question.options.map((option, index) => [option, index]));
  const optionOrder = (a: string, b: string) =>
    (listed.get(a) ?? Number.MAX_SAFE_INTEGER) - (listed.get(b) ?? Number.MAX_SAFE_INTEGER) ||
    compareText(a, b);

  if (question.rule === 'sealed-bid') {
    const bids = standing
      .filter((v) => v.amount !== null)
      .sort(
        (a, b) =>
          (b.amount ?? 0) - (a.amount ?? 0) || optionOrder(a.option, b.option) || compareText(a.by, b.by),
      );
    const lines = new Map<string, { option: string; score: number; members: string[] }>();
    for (const bid of bids) {
      const line = lines.get(bid.option) ?? { option: bid.option, score: bid.amount ?? 0, members: [] };
      line.members.push(bid.by);
      lines.set(bid.option, line);
    }
    const best = bids[0];
    return {
      counted: bids.length,
      lines: [...lines.values()],
      winner: best === undefined ? null : { option: best.option, by: best.by, amount: best.amount },
    };
  }

  const lines = new Map<string, { option: string; score: number; members: string[] }>();
  for (const option of question.options) lines.set(option, { option, score: 0, members: [] });
  for (const vote of standing) {
    const line = lines.get(vote.option) ?? { option: vote.option, score: 0, members: [] };
    line.score++;
    line.members.push(vote.by);
    lines.set(vote.option, line);
  }
  const sorted = [...lines.values()].sort((a, b) => b.score - a.score || optionOrder(a.option, b.option));
  const best = sorted[0];
  return {
    counted: standing.length,
    lines: sorted,
    winner: best === undefined || best.score === 0 ? null : { option: best.option, by: null, amount: null },
  };
}

/** Code-point order, the same on every machine whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
