import { isAbove, MAX_ROUND_JUMP, sameBallot, type Ballot, type NodeId } from './ballot.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { FIRST_ROUND, isAcceptor, type DecisionConfig } from './config.ts';
import type { DecisionId, Envelope, PaxosMessage, PromiseEvidence, Proposal, Value } from './messages.ts';

export type ProposerPhase =
  | { readonly name: 'idle' }
  | {
      readonly name: 'preparing';
      readonly ballot: Ballot;
      readonly promises: ReadonlyMap<NodeId, PromiseEvidence>;
      readonly deadline: number;
    }
  | { readonly name: 'accepting'; readonly ballot: Ballot; readonly value: Value; readonly deadline: number }
  | { readonly name: 'backoff'; readonly retryAt: number };

export interface ProposerState {
  /** This node's own value for the decision, kept on disk so a restart resumes the proposal. */
  readonly proposal: Value | null;
  /** Highest round this node has used; on disk before any Prepare that uses it leaves. */
  readonly roundUsed: number;
  /** Highest round seen from anyone (volatile: roundUsed and the acceptor state bound it after restart). */
  readonly roundSeen: number;
  /** Failed attempts of the current proposal, for the backoff. */
  readonly attempt: number;
  readonly phase: ProposerPhase;
  /**
   * The last ballot this node sent Accepts for, with the signed Promises its value came from (kept
   * after the phase moves on: a late quorum of Accepteds still makes a certificate with them).
   */
  readonly justified: { readonly ballot: Ballot; readonly promises: readonly PromiseEvidence[] } | null;
}

export const IDLE_PROPOSER: ProposerState = {
  proposal: null,
  roundUsed: 0,
  roundSeen: 0,
  attempt: 0,
  phase: { name: 'idle' },
  justified: null,
};

export interface ProposerContext {
  readonly self: NodeId;
  readonly decision: DecisionId;
  readonly config: DecisionConfig;
  readonly now: number;
  readonly random: () => number;
  readonly phaseTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly quorum: number;
  /** A round the next ballot must exceed besides those the proposer tracks (the local acceptor's promise). */
  readonly floorRound: number;
  /** Whether this node holds the decision's first ballot (round 0, no phase 1): see DecisionConfig. */
  readonly holdsFirstBallot: boolean;
  /**
   * Whether the acceptors can be expected to accept `value` (the caller's validity rule: a close of a
   * vote that omits votes the acceptors hold is refused by them). A phase 1 that would bind the
   * proposer to a value it knows to be refused waits for a majority of promises that accepted nothing
   * instead (see onPromise). Absent: every value is.
   */
  readonly acceptable?: ((value: Value) => boolean) | undefined;
}

export interface ProposerStep {
  readonly state: ProposerState;
  readonly send: readonly Envelope[];
  /** roundUsed changed: it must be on disk before `send` leaves. */
  readonly mustPersist: boolean;
}

const unchanged = (state: ProposerState): ProposerStep => ({ state, send: [], mustPersist: false });

/**
 * Starts proposing `value`; a proposal already under way is kept (one proposal per node and decision).
 * The holder of the first ballot sends Accepts for it at once, when nothing shows that anyone else
 * has started: round 0 is below every ballot, so no value can have been accepted before it, and phase
 * 1 would find nothing. Its value is the proposal, which is on disk before the Accepts leave and never
 * changes (one proposal per node and decision; after a restart the proposal is resumed from round 1
 * on), so round 0 never carries two values. If an acceptor has promised a higher ballot meanwhile, it
 * refuses, and the proposer backs off and goes on with phase 1 like anyone else.
 */
export function beginProposal(p: ProposerState, value: Value, ctx: ProposerContext): ProposerStep {
  if (p.proposal !== null) return unchanged(p);
  const fresh = { ...p, proposal: value, attempt: 0 };
  const untouched = p.roundUsed === 0 && p.roundSeen === 0 && ctx.floorRound === 0;
  if (!ctx.holdsFirstBallot || !untouched) return startRound(fresh, ctx);
  const ballot: Ballot = { round: FIRST_ROUND, node: ctx.self };
  const accept: PaxosMessage = { kind: 'accept', decision: ctx.decision, ballot, value, promises: [] };
  return {
    state: {
      ...fresh,
      phase: { name: 'accepting', ballot, value, deadline: ctx.now + ctx.phaseTimeoutMs },
      justified: { ballot, promises: [] },
    },
    send: ctx.config.acceptors.map((to) => ({ to, message: accept })),
    mustPersist: true,
  };
}

/**
 * Replaces this node's proposal for the ballots to come, and starts one at once (a node's close of a
 * vote, merged with votes it was told of). A ballot already used keeps its value; round 0 is never
 * used again, so it never carries two values.
 */
export function reviseProposal(p: ProposerState, value: Value, ctx: ProposerContext): ProposerStep {
  if (p.proposal === null) return beginProposal(p, value, ctx);
  if (p.proposal === value) return unchanged(p);
  return startRound({ ...p, proposal: value, attempt: 0 }, ctx);
}

/** Phase 1a with a ballot above every round used, seen or persisted. */
export function startRound(p: ProposerState, ctx: ProposerContext): ProposerStep {
  const round = Math.max(p.roundUsed, p.roundSeen, ctx.floorRound) + 1;
  const ballot: Ballot = { round, node: ctx.self };
  const prepare: PaxosMessage = { kind: 'prepare', decision: ctx.decision, ballot };
  return {
    state: {
      ...p,
      roundUsed: round,
      phase: { name: 'preparing', ballot, promises: new Map(), deadline: ctx.now + ctx.phaseTimeoutMs },
    },
    send: ctx.config.acceptors.map((to) => ({ to, message: prepare })),
    mustPersist: true,
  };
}

export function onPromise(
  p: ProposerState,
  from: NodeId,
  ballot: Ballot,
  evidence: PromiseEvidence,
  ctx: ProposerContext,
): ProposerStep {
  const accepted = evidence.accepted;
  const seen = accepted === null ? p : noteRound(p, accepted.ballot.round);
  const phase = seen.phase;
  if (phase.name !== 'preparing' || !sameBallot(phase.ballot, ballot)) return unchanged(seen);
  if (!isAcceptor(ctx.config, from) || phase.promises.has(from)) return unchanged(seen);
  const promises = new Map(phase.promises).set(from, evidence);
  const received = [...promises.values()];
  const allowed = allowedValue(received, ctx.config.acceptors.length, ctx.quorum);
  // Too few promises yet, or too few to tell which of two values at one ballot to keep: wait for more.
  if (allowed === null) return unchanged({ ...seen, phase: { ...phase, promises } });
  // Bound to a value the acceptors refuse, the round would fail, and every later one with it: while
  // promises may still come, wait for them. Every promise more can show that the value cannot have
  // been chosen (see allowedValue), which leaves this node free to propose its own. At the phase's
  // deadline it goes on with what it has (see onTimer).
  if (
    allowed.value !== null &&
    seen.proposal !== null &&
    promises.size < ctx.config.acceptors.length &&
    ctx.acceptable?.(allowed.value) === false
  )
    return unchanged({ ...seen, phase: { ...phase, promises } });
  return phase2(seen, ballot, allowed.value, received, ctx);
}

/** Phase 2a: the value the promises allow, or else our own, with the promises that justify it. */
function phase2(
  seen: ProposerState,
  ballot: Ballot,
  allowedValue: Value | null,
  promises: readonly PromiseEvidence[],
  ctx: ProposerContext,
): ProposerStep {
  const value = allowedValue ?? seen.proposal;
  if (value === null) return unchanged({ ...seen, phase: { name: 'idle' } });
  const accept: PaxosMessage = { kind: 'accept', decision: ctx.decision, ballot, value, promises };
  const deadline = ctx.now + ctx.phaseTimeoutMs;
  return {
    state: {
      ...seen,
      phase: { name: 'accepting', ballot, value, deadline },
      justified: { ballot, promises },
    },
    send: ctx.config.acceptors.map((to) => ({ to, message: accept })),
    mustPersist: false,
  };
}

/** A refusal of our current ballot: someone promised higher, so back off and retry above it. */
export function onNack(
  p: ProposerState,
  ballot: Ballot,
  promised: Ballot,
  ctx: ProposerContext,
): ProposerStep {
  // No honest acceptor promises a round this far above ours: a lie meant to push rounds out of reach.
  if (promised.round > ballot.round + MAX_ROUND_JUMP) return unchanged(p);
  const seen = noteRound(p, promised.round);
  const phase = seen.phase;
  if (phase.name !== 'preparing' && phase.name !== 'accepting') return unchanged(seen);
  // A Nack that names our own ballot (a duplicated Prepare) is no refusal.
  if (!sameBallot(phase.ballot, ballot) || !isAbove(promised, ballot)) return unchanged(seen);
  return unchanged(backOff(seen, ctx));
}

/** Phase timeouts and the end of a backoff. */
export function onTimer(p: ProposerState, ctx: ProposerContext): ProposerStep {
  const phase = p.phase;
  if (phase.name === 'preparing' && ctx.now >= phase.deadline) {
    // A majority promised, and the proposer waited for the rest in vain (see onPromise): go on.
    const promises = [...phase.promises.values()];
    const allowed = allowedValue(promises, ctx.config.acceptors.length, ctx.quorum);
    if (allowed !== null && (allowed.value !== null || p.proposal !== null))
      return phase2(p, phase.ballot, allowed.value, promises, ctx);
  }
  if ((phase.name === 'preparing' || phase.name === 'accepting') && ctx.now >= phase.deadline) {
    return unchanged(backOff(p, ctx));
  }
  if (phase.name === 'backoff' && ctx.now >= phase.retryAt) return startRound(p, ctx);
  return unchanged(p);
}

export function proposerTimer(p: ProposerState): number | null {
  const phase = p.phase;
  if (phase.name === 'preparing' || phase.name === 'accepting') return phase.deadline;
  if (phase.name === 'backoff') return phase.retryAt;
  return null;
}

/** The proposer's job ends when the decision is known, whatever value won. */
export function finish(p: ProposerState): ProposerState {
  return { ...p, phase: { name: 'idle' } };
}

/** Remembers a round heard of, unless it jumps further than any honest acceptor or proposer would. */
export function noteRound(p: ProposerState, round: number): ProposerState {
  if (round > Math.max(p.roundUsed, p.roundSeen) + MAX_ROUND_JUMP) return p;
  return round > p.roundSeen ? { ...p, roundSeen: round } : p;
}

function backOff(p: ProposerState, ctx: ProposerContext): ProposerState {
  const attempt = p.attempt + 1;
  const retryAt = ctx.now + backoffDelay(attempt, ctx.random(), ctx.backoff);
  return { ...p, attempt, phase: { name: 'backoff', retryAt } };
}

/**
 * The value a phase 1 allows: `{ value }` (null: any value), or null when it allows none yet. Usually
 * the highest-ballot value the promises report. When they report two values at that ballot, its
 * proposer equivocated (sent each to different acceptors), and taking the first would choose a second
 * outcome if the other had been chosen. A value can have been chosen at that ballot only if the
 * promises reporting it, with the acceptors that made no promise here, are a quorum: when exactly one
 * value can, it is the one; when none can, nothing was chosen there or below (a ballot above a chosen
 * one carries only the chosen value), and any value is allowed; when several can, more promises are
 * needed. The same rule decides for the proposer and for the acceptors that check its Accept.
 */
export function allowedValue(
  promises: readonly PromiseEvidence[],
  acceptorCount: number,
  quorum: number,
): { readonly value: Value | null } | null {
  if (promises.length < quorum) return null;
  const highest = highestAccepted(promises);
  if (highest === null) return { value: null };
  // A value chosen at some ballot is the latest value each acceptor of its quorum accepted (every
  // later ballot carries it): it is reported by all of them that promised. When no value is reported
  // by enough promises to make a quorum with the acceptors that made none, nothing was chosen.
  const latest = new Map<Value, number>();
  for (const { accepted } of promises)
    if (accepted !== null) latest.set(accepted.value, (latest.get(accepted.value) ?? 0) + 1);
  const unheard = acceptorCount - promises.length;
  if ([...latest.values()].every((count) => count + unheard < quorum)) return { value: null };
  const reported = new Map<Value, number>();
  for (const { accepted } of promises) {
    if (accepted !== null && sameBallot(accepted.ballot, highest.ballot))
      reported.set(accepted.value, (reported.get(accepted.value) ?? 0) + 1);
  }
  if (reported.size === 1) return { value: highest.value };
  const silent = acceptorCount - promises.length;
  const possible = [...reported].filter(([, count]) => count + silent >= quorum);
  if (possible.length === 0) return { value: null };
  const [only] = possible;
  return possible.length === 1 && only !== undefined ? { value: only[0] } : null;
}

/** The highest-ballot proposal the promises report (the first of them, if two report one ballot). */
export function highestAccepted(promises: Iterable<PromiseEvidence>): Proposal | null {
  let best: Proposal | null = null;
  for (const { accepted } of promises) {
    if (accepted !== null && isAbove(accepted.ballot, best?.ballot ?? null)) best = accepted;
  }
  return best;
}
