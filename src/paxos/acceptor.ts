import { isAbove, isAtLeast, sameBallot, type Ballot } from './ballot.ts';
import type { DecisionId, PaxosMessage, Proposal, Value } from './messages.ts';

/** What an acceptor must never forget: it is persisted before any reply that depends on it. */
export interface AcceptorState {
  readonly promised: Ballot | null;
  readonly accepted: Proposal | null;
}

export const EMPTY_ACCEPTOR: AcceptorState = { promised: null, accepted: null };

export interface AcceptorStep {
  readonly state: AcceptorState;
  readonly reply: PaxosMessage;
  /** True when `state` differs from the input state and must be on disk before `reply` is sent. */
  readonly mustPersist: boolean;
}

/** Phase 1b: promise never to accept anything below `ballot`, or refuse with what was promised instead. */
export function onPrepare(state: AcceptorState, decision: DecisionId, ballot: Ballot): AcceptorStep {
  if (!isAbove(ballot, state.promised)) {
    return { state, reply: nack(decision, ballot, state.promised), mustPersist: false };
  }
  return {
    state: { ...state, promised: ballot },
    reply: { kind: 'promise', decision, ballot, accepted: state.accepted },
    mustPersist: true,
  };
}

/** Phase 2b: accept unless a higher ballot was promised; accepting also raises the promise. */
export function onAccept(
  state: AcceptorState,
  decision: DecisionId,
  ballot: Ballot,
  value: Value,
): AcceptorStep {
  if (!isAtLeast(ballot, state.promised)) {
    return { state, reply: nack(decision, ballot, state.promised), mustPersist: false };
  }
  const reply: PaxosMessage = { kind: 'accepted', decision, ballot, value };
  const alreadyAccepted =
    sameBallot(state.accepted?.ballot ?? null, ballot) && state.accepted?.value === value;
  if (alreadyAccepted && sameBallot(state.promised, ballot)) {
    // A duplicate Accept: the state already holds it, nothing new to persist.
    return { state, reply, mustPersist: false };
  }
  return { state: { promised: ballot, accepted: { ballot, value } }, reply, mustPersist: true };
}

function nack(decision: DecisionId, ballot: Ballot, promised: Ballot | null): PaxosMessage {
  // `promised` is never null here: a refusal only happens because something at least as high was promised.
  if (promised === null) throw new Error('internal: refusing a ballot with nothing promised');
  return { kind: 'nack', decision, ballot, promised };
}
