import type { Ballot, NodeId } from './ballot.ts';

/** Identifies one single-decree Paxos instance (one question). */
export type DecisionId = string;

/** Values are opaque to the protocol; the node layer gives them meaning (a signed proposal). */
export type Value = string;

/** A signature made by the node layer's key; opaque to the protocol, checked where messages arrive. */
export type Signature = string;

export interface Proposal {
  readonly ballot: Ballot;
  readonly value: Value;
}

/**
 * What an acceptor signs. The core asks its Signer for a signature and never checks one: signatures
 * are verified once, where messages enter the node (src/node/votes/vote-checks.ts), before the core sees them.
 */
export type Statement =
  | {
      readonly kind: 'promise';
      readonly decision: DecisionId;
      readonly ballot: Ballot;
      readonly accepted: Proposal | null;
    }
  | {
      readonly kind: 'accepted';
      readonly decision: DecisionId;
      readonly ballot: Ballot;
      readonly value: Value;
    };

/** Signs with this node's identity key: deterministic (Ed25519), so the core stays a pure function. */
export type Signer = (statement: Statement) => Signature;

/** One acceptor's signed Accepted of the certificate's ballot and value. */
export interface AcceptedSignature {
  readonly acceptor: NodeId;
  readonly signature: Signature;
}

/** One acceptor's signed Promise for the certificate's ballot, as its proposer received it. */
export interface PromiseEvidence {
  readonly acceptor: NodeId;
  readonly accepted: Proposal | null;
  readonly signature: Signature;
}

/**
 * Why an outcome is an outcome: the signed Accepted of a strict majority of the decision's acceptors,
 * for one ballot and the value (like a CometBFT commit). `promises` are the signed Promises the
 * ballot's proposer chose the value from, when the certificate was made by that proposer: if another
 * certificate ever names a different value, they show which acceptor lied in its Promise.
 */
export interface Certificate {
  readonly ballot: Ballot;
  readonly accepted: readonly AcceptedSignature[];
  readonly promises: readonly PromiseEvidence[];
}

/**
 * Two valid certificates for different values of one decision: Paxos's safety was broken, which only
 * acceptors that lie can do. The first outcome is kept; this is the proof, and whom it names.
 */
export interface Conflict {
  readonly value: Value;
  readonly certificate: Certificate;
  /** Acceptors whose own signatures contradict each other: each lied, and the two certificates prove it. */
  readonly liars: readonly NodeId[];
  /** Acceptors whose Accepted is on both certificates. */
  readonly signedBoth: readonly NodeId[];
}

/**
 * The protocol's messages. Acceptors always answer (a Nack instead of silence), so proposers learn
 * quickly that they must retry. `decided` announces an outcome with its certificate; `query` asks for
 * one (catch-up).
 */
export type PaxosMessage =
  | { readonly kind: 'prepare'; readonly decision: DecisionId; readonly ballot: Ballot }
  | {
      readonly kind: 'promise';
      readonly decision: DecisionId;
      readonly ballot: Ballot;
      /** The highest-ballot proposal this acceptor has accepted, if any. */
      readonly accepted: Proposal | null;
      readonly signature: Signature;
    }
  | {
      readonly kind: 'accept';
      readonly decision: DecisionId;
      readonly ballot: Ballot;
      readonly value: Value;
      /**
       * The signed Promises for this ballot that the proposer chose `value` from: a strict majority of
       * the acceptors, and `value` is the highest-ballot value they report (any value when they report
       * none). An acceptor checks this before it accepts, so a member cannot skip phase 1 and make
       * acceptors that do not know the outcome yet accept a second value.
       */
      readonly promises: readonly PromiseEvidence[];
    }
  | {
      readonly kind: 'accepted';
      readonly decision: DecisionId;
      readonly ballot: Ballot;
      readonly value: Value;
      readonly signature: Signature;
    }
  | {
      readonly kind: 'nack';
      readonly decision: DecisionId;
      /** The ballot being refused. */
      readonly ballot: Ballot;
      /** What the acceptor has promised instead: a proposer must go above it. */
      readonly promised: Ballot;
    }
  | {
      readonly kind: 'decided';
      readonly decision: DecisionId;
      readonly value: Value;
      readonly certificate: Certificate;
    }
  | { readonly kind: 'query'; readonly decision: DecisionId };

export type MessageKind = PaxosMessage['kind'];

export interface Envelope {
  readonly to: NodeId;
  readonly message: PaxosMessage;
}
