import type { NodeId } from './ballot.ts';

/**
 * The fixed membership of one decision, chosen when the decision is created and recorded with it.
 * Quorums are strict majorities of `acceptors` and nothing else: never of the peers that happen to be
 * reachable, or two partitions could each decide.
 */
export interface DecisionConfig {
  readonly acceptors: readonly NodeId[];
  /** Members that learn the outcome without voting. */
  readonly learners: readonly NodeId[];
  /**
   * The node that holds the decision's first ballot, round 0 (the question's asker). Round 0 is below
   * every other ballot, so no value can have been accepted before it: its holder may send Accepts at
   * once, without phase 1, and save a round trip and an fsync. No one else may use round 0, for
   * Prepare or Accept. Absent (decisions recorded before it existed): every ballot needs phase 1.
   */
  readonly firstProposer?: NodeId | null;
}

/** The round of the first proposer's ballot, which needs no phase 1. */
export const FIRST_ROUND = 0;

export const DEFAULT_MAX_ACCEPTORS = 7;

export function quorumSize(config: DecisionConfig): number {
  return Math.floor(config.acceptors.length / 2) + 1;
}

export function isAcceptor(config: DecisionConfig, node: NodeId): boolean {
  return config.acceptors.includes(node);
}

/** Everyone who should hear the outcome: acceptors and learners, each once. */
export function members(config: DecisionConfig): NodeId[] {
  return [...new Set([...config.acceptors, ...config.learners])];
}

/** Returns a message describing what is wrong, or null when the config is usable. */
export function checkConfig(config: DecisionConfig, maxAcceptors = DEFAULT_MAX_ACCEPTORS): string | null {
  const { acceptors, learners } = config;
  if (acceptors.length === 0) return 'a decision needs at least one acceptor';
  if (acceptors.length > maxAcceptors) {
    return `a decision has at most ${maxAcceptors} acceptors (got ${acceptors.length})`;
  }
  if (new Set(acceptors).size !== acceptors.length) return 'the acceptor list names a node twice';
  if (new Set(learners).size !== learners.length) return 'the learner list names a node twice';
  if (
    acceptors.some((a) => a.length === 0) ||
    learners.some((l) => l.length === 0) ||
    config.firstProposer === ''
  ) {
    return 'node ids must not be empty';
  }
  return null;
}

export function sameConfig(a: DecisionConfig, b: DecisionConfig): boolean {
  const sameList = (x: readonly NodeId[], y: readonly NodeId[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  // The first proposer is not compared: it comes from the same signed definition as the voters, and a
  // decision recorded before it existed keeps its record (every ballot of it then needs phase 1).
  return sameList(a.acceptors, b.acceptors) && sameList(a.learners, b.learners);
}
