import type { Ballot, NodeId } from './ballot.ts';

/** Identifies one single-decree Paxos instance (one question). */
export type DecisionId = string;

/** Values are opaque to the protocol; the node layer gives them meaning. */
export type Value = string;

export interface Proposal {
  readonly ballot: Ballot;
  readonly value: Value;
}

/**
 * The protocol's messages. Acceptors always answer (a Nack instead of silence), so proposers learn
 * quickly that they must retry. `decided` announces an outcome; `query` asks for one (catch-up).
 */
export type PaxosMessage =
  | { readonly kind: 'prepare'; readonly decision: DecisionId; readonly ballot: Ballot }
  | {
      readonly kind: 'promise';
      readonly decision: DecisionId;
      readonly ballot: Ballot;
      /** The highest-ballot proposal this acceptor has accepted, if any. */
      readonly accepted: Proposal | null;
    }
  | { readonly kind: 'accept'; readonly decision: DecisionId; readonly ballot: Ballot; readonly value: Value }
  | {
      readonly kind: 'accepted';
      readonly decision: DecisionId;
      readonly ballot: Ballot;
      readonly value: Value;
    }
  | {
      readonly kind: 'nack';
      readonly decision: DecisionId;
      /** The ballot being refused. */
      readonly ballot: Ballot;
      /** What the acceptor has promised instead: a proposer must go above it. */
      readonly promised: Ballot;
    }
  | { readonly kind: 'decided'; readonly decision: DecisionId; readonly value: Value }
  | { readonly kind: 'query'; readonly decision: DecisionId };

export type MessageKind = PaxosMessage['kind'];

export interface Envelope {
  readonly to: NodeId;
  readonly message: PaxosMessage;
}
