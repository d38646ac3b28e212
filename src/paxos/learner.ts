import { formatBallot, type Ballot, type NodeId } from './ballot.ts';
import { isAcceptor, quorumSize, type DecisionConfig } from './config.ts';
import type { Value } from './messages.ts';

/**
 * Counts Accepted replies per ballot. A value is chosen once a strict majority of the decision's
 * acceptors accepted the same ballot; each acceptor counts once per ballot, however often its reply
 * is duplicated.
 */
export type AcceptedTally = ReadonlyMap<
  string,
  { readonly value: Value; readonly acceptors: ReadonlySet<NodeId> }
>;

export const EMPTY_TALLY: AcceptedTally = new Map();

export interface TallyResult {
  readonly tally: AcceptedTally;
  readonly chosen: Value | null;
}

export function tallyAccepted(
  tally: AcceptedTally,
  config: DecisionConfig,
  from: NodeId,
  ballot: Ballot,
  value: Value,
  quorum: number = quorumSize(config),
): TallyResult {
  if (!isAcceptor(config, from)) return { tally, chosen: null };
  const key = formatBallot(ballot);
  const entry = tally.get(key);
  // One ballot carries one value (a proposer sends one value per ballot); a mismatch can only come
  // from a broken peer, so it is not counted.
  if (entry !== undefined && (entry.value !== value || entry.acceptors.has(from)))
    return { tally, chosen: null };
  const acceptors = new Set(entry?.acceptors ?? []).add(from);
  const next = new Map(tally).set(key, { value, acceptors });
  return { tally: next, chosen: acceptors.size >= quorum ? value : null };
}
