/**
 * Ballots (proposal numbers) are pairs (round, node): totally ordered by round, then by node id, so two
 * proposers can never use the same ballot, and every proposer can always pick one above any it has seen.
 */

export type NodeId = string;

export interface Ballot {
  readonly round: number;
  readonly node: NodeId;
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round < b.round ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

/** a > b, where `null` (nothing promised or accepted yet) is below every ballot. */
export function isAbove(a: Ballot, b: Ballot | null): boolean {
  return b === null || compareBallots(a, b) > 0;
}

/** a ≥ b, where `null` is below every ballot. */
export function isAtLeast(a: Ballot, b: Ballot | null): boolean {
  return b === null || compareBallots(a, b) >= 0;
}

export function sameBallot(a: Ballot | null, b: Ballot | null): boolean {
  if (a === null || b === null) return a === b;
  return a.round === b.round && a.node === b.node;
}

export function formatBallot(b: Ballot | null): string {
  return b === null ? '⊥' : `${b.round}.${b.node}`;
}

/**
 * How far above anything an acceptor has seen a ballot's round may jump. Honest proposers go one
 * round above the highest they have heard of; a member that lies could otherwise send round
 * 2^53 − 1 and leave no round above it, freezing the decision. With this bound, reaching the end of
 * the numbers takes billions of messages.
 */
export const MAX_ROUND_JUMP = 1_000_000;
