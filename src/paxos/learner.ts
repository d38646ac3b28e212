import { formatBallot, type Ballot, type NodeId } from './ballot.ts';
import { isAcceptor, quorumSize, type DecisionConfig } from './config.ts';
import type { Signature, Value } from './messages.ts';

/**
 * Counts Accepted replies per ballot, keeping each acceptor's signature. A value is chosen once a
 * strict majority of the decision's acceptors accepted the same ballot; each acceptor counts once per
 * ballot, however often its reply is duplicated. The signatures of that majority are the certificate.
 */
export type AcceptedTally = ReadonlyMap<
  string,
  { readonly ballot: Ballot; readonly value: Value; readonly signatures: ReadonlyMap<NodeId, Signature> }
>;

export const EMPTY_TALLY: AcceptedTally = new Map();

export interface Chosen {
  readonly value: Value;
  readonly ballot: Ballot;
  readonly signatures: ReadonlyMap<NodeId, Signature>;
}

export interface TallyResult {
  readonly tally: AcceptedTally;
  readonly chosen: Chosen | null;
}

export function tallyAccepted(
  tally: AcceptedTally,
  config: DecisionConfig,
  from: NodeId,
  ballot: Ballot,
  value: Value,
  signature: Signature,
  quorum: number = quorumSize(config),
): TallyResult {
  if (!isAcceptor(config, from)) return { tally, chosen: null };
  const key = formatBallot(ballot);
  const entry = tally.get(key);
  // One ballot carries one value (a proposer sends one value per ballot); a mismatch can only come
  // from a broken peer, so it is not counted.
  if (entry !== undefined && (entry.value !== value || entry.signatures.has(from)))
    return { tally, chosen: null };
  const signatures = new Map(entry?.signatures ?? []).set(from, signature);
  const next = new Map(tally).set(key, { ballot, value, signatures });
  return { tally: next, chosen: signatures.size >= quorum ? { value, ballot, signatures } : null };
}
