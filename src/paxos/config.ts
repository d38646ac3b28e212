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
}

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
  if (acceptors.some((a) => a.length === 0) || learners.some((l) => l.length === 0)) {
    return 'node ids must not be empty';
  }
  return null;
}

export function sameConfig(a: DecisionConfig, b: DecisionConfig): boolean {
  const sameList = (x: readonly NodeId[], y: readonly NodeId[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return sameList(a.acceptors, b.acceptors) && sameList(a.learners, b.learners);
}
