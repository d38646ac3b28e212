import { isAbove, isAtLeast, MAX_ROUND_JUMP, sameBallot, type Ballot } from './ballot.ts';
import type { DecisionId, PaxosMessage, Proposal, Signer, Value } from './messages.ts';

/** What an acceptor must never forget: it is persisted before any reply that depends on it. */
export interface AcceptorState {
  readonly promised: Ballot | null;
  readonly accepted: Proposal | null;
}

export const EMPTY_ACCEPTOR: AcceptorState = { promised: null, accepted: null };

export type AcceptorStep =
  | {
      readonly state: AcceptorState;
      readonly reply: PaxosMessage;
      /** True when `state` differs from the input state and must be on disk before `reply` is sent. */
      readonly mustPersist: boolean;
    }
  /** Not answered at all: the request breaks a rule no honest proposer breaks. */
  | {
      readonly state: AcceptorState;
      readonly reply: null;
      readonly refusal: string;
      readonly mustPersist: false;
    };

/** Phase 1b: promise never to accept anything below `ballot`, or refuse with what was promised instead. */
export function onPrepare(
  state: AcceptorState,
  decision: DecisionId,
  ballot: Ballot,
  sign: Signer,
): AcceptorStep {
  const jump = roundJump(state, ballot);
  if (jump !== null) return jump;
  if (!isAbove(ballot, state.promised)) {
    return { state, reply: nack(decision, ballot, state.promised), mustPersist: false };
  }
  const accepted = state.accepted;
  return {
    state: { ...state, promised: ballot },
    reply: {
      kind: 'promise',
      decision,
      ballot,
      accepted,
      signature: sign({ kind: 'promise', decision, ballot, accepted }),
    },
    mustPersist: true,
  };
}

/** Phase 2b: accept unless a higher ballot was promised; accepting also raises the promise. */
export function onAccept(
  state: AcceptorState,
  decision: DecisionId,
  ballot: Ballot,
  value: Value,
  sign: Signer,
): AcceptorStep {
  const jump = roundJump(state, ballot);
  if (jump !== null) return jump;
  if (!isAtLeast(ballot, state.promised)) {
    return { state, reply: nack(decision, ballot, state.promised), mustPersist: false };
  }
  const sameBallotAccepted = sameBallot(state.accepted?.ballot ?? null, ballot);
  if (sameBallotAccepted && state.accepted?.value !== value) {
    // One ballot carries one value; a second one means its proposer equivocates. Signing both would
    // make this acceptor look like a liar.
    return {
      state,
      reply: null,
      refusal: 'a second value for a ballot already accepted',
      mustPersist: false,
    };
  }
  const reply: PaxosMessage = {
    kind: 'accepted',
    decision,
    ballot,
    value,
    signature: sign({ kind: 'accepted', decision, ballot, value }),
  };
  if (sameBallotAccepted && sameBallot(state.promised, ballot)) {
    // A duplicate Accept: the state already holds it, nothing new to persist.
    return { state, reply, mustPersist: false };
  }
  return { state: { promised: ballot, accepted: { ballot, value } }, reply, mustPersist: true };
}

/** The highest round this acceptor has seen for the decision. */
export function roundSeenBy(state: AcceptorState): number {
  return Math.max(state.promised?.round ?? 0, state.accepted?.ballot.round ?? 0);
}

function roundJump(state: AcceptorState, ballot: Ballot): AcceptorStep | null {
  if (ballot.round <= roundSeenBy(state) + MAX_ROUND_JUMP) return null;
  return {
    state,
    reply: null,
    refusal: `round ${ballot.round} jumps more than ${MAX_ROUND_JUMP} above round ${roundSeenBy(state)}`,
    mustPersist: false,
  };
}

function nack(decision: DecisionId, ballot: Ballot, promised: Ballot | null): PaxosMessage {
  // `promised` is never null here: a refusal only happens because something at least as high was promised.
  if (promised === null) throw new Error('internal: refusing a ballot with nothing promised');
  return { kind: 'nack', decision, ballot, promised };
}
