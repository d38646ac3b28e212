import { compareBallots, type Ballot, type NodeId } from './ballot.ts';
import { onAccept, onPrepare, type AcceptorState } from './acceptor.ts';
import { certificateProblem, conflictBetween } from './certificate.ts';
import { FIRST_ROUND, isAcceptor, members, quorumSize, type DecisionConfig } from './config.ts';
import { EMPTY_TALLY, tallyAccepted, type AcceptedTally, type Chosen } from './learner.ts';
import type {
  Certificate,
  Conflict,
  DecisionId,
  Envelope,
  PaxosMessage,
  Proposal,
  Signer,
  Value,
} from './messages.ts';
import type { CoreOptions } from './options.ts';
import {
  beginProposal,
  reviseProposal,
  finish,
  allowedValue,
  IDLE_PROPOSER,
  noteRound,
  onNack,
  onPromise,
  onTimer,
  proposerTimer,
  type ProposerContext,
  type ProposerState,
  type ProposerStep,
} from './proposer.ts';

/** Pending catch-up: when to ask the other members next whether the decision is known. */
export interface CatchUp {
  readonly nextAt: number;
  readonly intervalMs: number;
  /** Queries sent so far; catch-up ends after `options.catchUp.maxAttempts`. */
  readonly attempts: number;
}

/** Everything one node knows about one decision. */
export interface DecisionState {
  readonly id: DecisionId;
  readonly config: DecisionConfig;
  readonly acceptor: AcceptorState;
  readonly proposer: ProposerState;
  readonly tally: AcceptedTally;
  readonly chosen: Value | null;
  /** The proof of `chosen` (null only for outcomes learned before certificates existed). */
  readonly certificate: Certificate | null;
  /** A second, different outcome with a valid certificate: safety was broken (the first is kept). */
  readonly conflict: Conflict | null;
  readonly catchUp: CatchUp | null;
}

/** The part of DecisionState that must survive a crash; written (and fsynced) as one record. */
export interface DurableDecision {
  readonly id: DecisionId;
  readonly config: DecisionConfig;
  readonly promised: Ballot | null;
  readonly accepted: Proposal | null;
  readonly roundUsed: number;
  readonly proposal: Value | null;
  readonly chosen: Value | null;
  readonly certificate: Certificate | null;
  readonly conflict: Conflict | null;
}

export type CoreEvent =
  /** The outcome is known (and on disk). `ownProposal` tells a proposer whether its value won. */
  | {
      readonly kind: 'decided';
      readonly decision: DecisionId;
      readonly value: Value;
      readonly ownProposal: Value | null;
    }
  /** An input was ignored because it breaks the protocol's rules; `reason` says which. */
  | {
      readonly kind: 'refused';
      readonly decision: DecisionId;
      readonly from: NodeId | null;
      readonly reason: string;
    }
  /** Safety was broken: two valid certificates name different values. Kept on disk, shown to people. */
  | { readonly kind: 'conflict'; readonly decision: DecisionId; readonly conflict: Conflict }
  /** A message about a decision this node has not opened: the node layer may fetch its definition. */
  | { readonly kind: 'unknown-decision'; readonly decision: DecisionId; readonly from: NodeId };

export interface StepContext {
  readonly self: NodeId;
  readonly now: number;
  readonly random: () => number;
  readonly sign: Signer;
  readonly options: CoreOptions;
  /** The caller's validity rule for values (see ProposerContext.acceptable). */
  readonly acceptable?: ((decision: DecisionId, value: Value) => boolean) | undefined;
}

export interface DecisionStep {
  readonly state: DecisionState;
  /** The durable part changed: persist it before anything in `send` or `events` happens. */
  readonly mustPersist: boolean;
  readonly send: readonly Envelope[];
  readonly events: readonly CoreEvent[];
}

export function openDecision(id: DecisionId, config: DecisionConfig, ctx: StepContext): DecisionState {
  return {
    id,
    config,
    acceptor: { promised: null, accepted: null },
    proposer: IDLE_PROPOSER,
    tally: EMPTY_TALLY,
    chosen: null,
    certificate: null,
    conflict: null,
    catchUp: ctx.options.catchUp.onOpen
      ? {
          nextAt: ctx.now + ctx.options.catchUp.initialMs,
          intervalMs: ctx.options.catchUp.initialMs,
          attempts: 0,
        }
      : null,
  };
}

/** Rebuilds a decision after a restart: resumes an unfinished proposal and asks peers for news at once. */
export function restoreDecision(record: DurableDecision, ctx: StepContext): DecisionState {
  const roundSeen = Math.max(record.promised?.round ?? 0, record.accepted?.ballot.round ?? 0);
  const resume = record.proposal !== null && record.chosen === null;
  return {
    id: record.id,
    config: record.config,
    acceptor: { promised: record.promised, accepted: record.accepted },
    proposer: {
      proposal: record.proposal,
      roundUsed: record.roundUsed,
      roundSeen,
      attempt: 0,
      phase: resume ? { name: 'backoff', retryAt: ctx.now } : { name: 'idle' },
      justified: null,
    },
    tally: EMPTY_TALLY,
    chosen: record.chosen,
    certificate: record.certificate,
    conflict: record.conflict,
    catchUp:
      record.chosen === null && ctx.options.catchUp.afterRestart
        ? { nextAt: ctx.now, intervalMs: ctx.options.catchUp.initialMs, attempts: 0 }
        : null,
  };
}

export function toDurable(state: DecisionState): DurableDecision {
  return {
    id: state.id,
    config: state.config,
    promised: state.acceptor.promised,
    accepted: state.acceptor.accepted,
    roundUsed: state.proposer.roundUsed,
    proposal: state.proposer.proposal,
    chosen: state.chosen,
    certificate: state.certificate,
    conflict: state.conflict,
  };
}

export function proposeIn(state: DecisionState, value: Value, ctx: StepContext): DecisionStep {
  if (state.chosen !== null) {
    // Already decided: report the outcome again so the caller learns it.
    return { ...quiet(state), events: [decidedEvent(state, state.chosen, value)] };
  }
  if (state.proposer.proposal !== null && state.proposer.proposal !== value) {
    return refuse(state, null, `this node already proposes ${JSON.stringify(state.proposer.proposal)}`);
  }
  const step = beginProposal(state.proposer, value, proposerContext(state, ctx));
  // The proposal itself is durable, so a restart resumes it.
  return fromProposer(state, step, step.mustPersist || state.proposer.proposal !== value);
}

export function receiveIn(
  state: DecisionState,
  from: NodeId,
  message: PaxosMessage,
  ctx: StepContext,
): DecisionStep {
  switch (message.kind) {
    case 'prepare':
    case 'accept':
      return actAsAcceptor(state, from, message, ctx);
    case 'promise': {
      if (!isAcceptor(state.config, from))
        return refuse(state, from, 'a promise from a node that is no acceptor');
      const { accepted, signature } = message;
      if (accepted !== null && compareBallots(accepted.ballot, message.ballot) >= 0)
        return refuse(state, from, 'a promise that reports a ballot it could not have accepted yet');
      const step = onPromise(
        state.proposer,
        from,
        message.ballot,
        { acceptor: from, accepted, signature },
        proposerContext(state, ctx),
      );
      return fromProposer(state, step, step.mustPersist);
    }
    case 'nack': {
      if (!isAcceptor(state.config, from))
        return refuse(state, from, 'a refusal from a node that is no acceptor');
      const step = onNack(state.proposer, message.ballot, message.promised, proposerContext(state, ctx));
      return fromProposer(state, step, step.mustPersist);
    }
    case 'accepted': {
      if (!isAcceptor(state.config, from))
        return refuse(state, from, 'an accepted from a node that is no acceptor');
      if (state.chosen !== null) return quiet(state); // a late reply: the outcome is known already
      const proposer = noteRound(state.proposer, message.ballot.round);
      const { tally, chosen } = tallyAccepted(
        state.tally,
        state.config,
        from,
        message.ballot,
        message.value,
        message.signature,
        quorum(state, ctx),
      );
      const next = { ...state, proposer, tally };
      // The node that learns from a quorum of acceptors tells everyone else.
      return chosen === null ? quiet(next) : decide(next, chosen.value, certify(state, chosen), ctx, true);
    }
    case 'decided': {
      const problem = certificateProblem(state.config, message.certificate, quorum(state, ctx));
      if (problem !== null) return refuse(state, from, problem);
      return decide(state, message.value, message.certificate, ctx, false);
    }
    case 'query':
      return { ...quiet(state), send: announce(state, [from]) };
  }
}

export function tickIn(state: DecisionState, ctx: StepContext): DecisionStep {
  let next = state;
  let send: Envelope[] = [];
  let mustPersist = false;
  if (state.chosen === null) {
    const step = onTimer(state.proposer, proposerContext(state, ctx));
    next = { ...next, proposer: step.state };
    send = [...step.send];
    mustPersist = step.mustPersist;
  }
  const catchUp = next.catchUp;
  if (catchUp !== null && ctx.now >= catchUp.nextAt) {
    const intervalMs = Math.min(catchUp.intervalMs * 2, ctx.options.catchUp.maxMs);
    // Jitter spreads the questions of many members that restarted together.
    const nextAt = ctx.now + Math.floor(intervalMs * (0.5 + ctx.random()));
    const attempts = catchUp.attempts + 1;
    next = {
      ...next,
      catchUp: attempts >= ctx.options.catchUp.maxAttempts ? null : { nextAt, intervalMs, attempts },
    };
    const query: PaxosMessage = { kind: 'query', decision: state.id };
    for (const to of members(state.config)) if (to !== ctx.self) send.push({ to, message: query });
  }
  return { state: next, mustPersist, send, events: [] };
}

export function decisionTimer(state: DecisionState): number | null {
  const timers = [
    state.chosen === null ? proposerTimer(state.proposer) : null,
    state.catchUp?.nextAt ?? null,
  ];
  const set = timers.filter((t): t is number => t !== null);
  return set.length === 0 ? null : Math.min(...set);
}

function actAsAcceptor(
  state: DecisionState,
  from: NodeId,
  message: Extract<PaxosMessage, { kind: 'prepare' | 'accept' }>,
  ctx: StepContext,
): DecisionStep {
  if (message.ballot.node !== from)
    return refuse(state, from, `a ${message.kind} whose ballot names another node`);
  if (state.chosen !== null) {
    // The outcome is known: telling the proposer ends its attempt at once and is always safe.
    return { ...quiet(state), send: announce(state, [from]) };
  }
  if (!isAcceptor(state.config, ctx.self))
    return refuse(state, from, `a ${message.kind} sent to a node that is no acceptor`);
  if (message.kind === 'prepare' && message.ballot.round === FIRST_ROUND)
    return refuse(state, from, 'a prepare of round 0, which belongs to the first proposer without phase 1');
  if (message.kind === 'accept') {
    const problem = justificationProblem(state.config, quorum(state, ctx), message, (node) =>
      mayUseFirstBallot(state.config, node, ctx),
    );
    if (problem !== null) return refuse(state, from, problem);
  }
  const step =
    message.kind === 'prepare'
      ? onPrepare(state.acceptor, state.id, message.ballot, ctx.sign)
      : onAccept(state.acceptor, state.id, message.ballot, message.value, ctx.sign);
  if (step.reply === null) return refuse(state, from, step.refusal);
  return {
    state: { ...state, acceptor: step.state },
    mustPersist: step.mustPersist,
    send: [{ to: from, message: step.reply }],
    events: [],
  };
}

function decide(
  state: DecisionState,
  value: Value,
  certificate: Certificate,
  ctx: StepContext,
  announceToAll: boolean,
): DecisionStep {
  if (state.chosen !== null) {
    if (state.chosen === value) {
      // An outcome known from before certificates existed gets its proof now.
      if (state.certificate !== null) return quiet(state);
      return { ...quiet({ ...state, certificate }), mustPersist: true };
    }
    // Two valid certificates for different values: safety is broken, which only lying acceptors can
    // do. Keep the first outcome (it is on disk and may have been reported), and keep the proof.
    if (state.conflict !== null || state.certificate === null) return quiet(state);
    const conflict = conflictBetween(
      { value: state.chosen, certificate: state.certificate },
      { value, certificate },
    );
    return {
      state: { ...state, conflict },
      mustPersist: true,
      send: [],
      events: [{ kind: 'conflict', decision: state.id, conflict }],
    };
  }
  const next: DecisionState = {
    ...state,
    proposer: finish(state.proposer),
    tally: EMPTY_TALLY,
    chosen: value,
    certificate,
    catchUp: null,
  };
  const send = announceToAll
    ? announce(
        next,
        members(state.config).filter((to) => to !== ctx.self),
      )
    : [];
  return {
    state: next,
    mustPersist: true,
    send,
    events: [decidedEvent(next, value, next.proposer.proposal)],
  };
}

/** This node's proposal replaced for the ballots to come (see reviseProposal); durable before it leaves. */
export function reviseIn(state: DecisionState, value: Value, ctx: StepContext): DecisionStep {
  if (state.chosen !== null) return { ...quiet(state), events: [decidedEvent(state, state.chosen, value)] };
  const step = reviseProposal(state.proposer, value, proposerContext(state, ctx));
  return fromProposer(state, step, step.mustPersist || state.proposer.proposal !== value);
}

function fromProposer(state: DecisionState, step: ProposerStep, mustPersist: boolean): DecisionStep {
  return { state: { ...state, proposer: step.state }, mustPersist, send: step.send, events: [] };
}

function proposerContext(state: DecisionState, ctx: StepContext): ProposerContext {
  return {
    self: ctx.self,
    decision: state.id,
    config: state.config,
    now: ctx.now,
    random: ctx.random,
    phaseTimeoutMs: ctx.options.phaseTimeoutMs,
    backoff: ctx.options.backoff,
    quorum: quorum(state, ctx),
    floorRound: state.acceptor.promised?.round ?? 0,
    holdsFirstBallot: mayUseFirstBallot(state.config, ctx.self, ctx),
    acceptable:
      ctx.acceptable === undefined ? undefined : (value) => ctx.acceptable?.(state.id, value) !== false,
  };
}

function mayUseFirstBallot(config: DecisionConfig, node: NodeId, ctx: StepContext): boolean {
  if (ctx.options.unsafeFirstBallotForAnyoneForNegativeControl === true) return true;
  return config.firstProposer !== undefined && config.firstProposer === node;
}

function quorum(state: DecisionState, ctx: StepContext): number {
  const unsafe = ctx.options.unsafeQuorumForNegativeControl;
  return unsafe === undefined ? quorumSize(state.config) : unsafe(state.config.acceptors.length);
}

/** The outcome with its proof, to each of `to`; nothing when there is no outcome or no proof of it. */
function announce(state: DecisionState, to: readonly NodeId[]): Envelope[] {
  const { chosen: value, certificate } = state;
  if (value === null || certificate === null) return [];
  return to.map((peer) => ({
    to: peer,
    message: { kind: 'decided', decision: state.id, value, certificate },
  }));
}

/** The certificate of a value this node saw a quorum accept: the signatures, and its own promises. */
function certify(state: DecisionState, chosen: Chosen): Certificate {
  const justified = state.proposer.justified;
  const own = justified !== null && compareBallots(justified.ballot, chosen.ballot) === 0;
  return {
    ballot: chosen.ballot,
    accepted: [...chosen.signatures].map(([acceptor, signature]) => ({ acceptor, signature })),
    promises: own ? justified.promises : [],
  };
}

function decidedEvent(state: DecisionState, value: Value, ownProposal: Value | null): CoreEvent {
  return { kind: 'decided', decision: state.id, value, ownProposal };
}

function quiet(state: DecisionState): DecisionStep {
  return { state, mustPersist: false, send: [], events: [] };
}

function refuse(state: DecisionState, from: NodeId | null, reason: string): DecisionStep {
  return { ...quiet(state), events: [{ kind: 'refused', decision: state.id, from, reason }] };
}

/**
 * Whether an Accept shows its phase 1: Promises for its ballot from a strict majority of distinct
 * acceptors, none reporting a ballot at or above it, and the value the highest-ballot one reports (or
 * any value when none reports one; see `allowedValue` for promises that report two values at one
 * ballot). This is what makes Paxos safe against a proposer that lies: the signatures of the Promises
 * are checked where messages enter the node. The one exception is round 0,
 * the first proposer's ballot (`mayUseFirstBallot`), below every other: it needs no phase 1, since
 * there is nothing below it that phase 1 could find.
 */
export function justificationProblem(
  config: DecisionConfig,
  quorum: number,
  accept: Extract<PaxosMessage, { kind: 'accept' }>,
  mayUseFirstBallot: (node: NodeId) => boolean = (node) => config.firstProposer === node,
): string | null {
  if (accept.ballot.round === FIRST_ROUND) {
    if (!mayUseFirstBallot(accept.ballot.node))
      return "an accept of round 0, which belongs to the question's first proposer only";
    if (accept.promises.length > 0) return 'an accept of round 0 with promises (round 0 has no phase 1)';
    return null;
  }
  const promisers = accept.promises.map((p) => p.acceptor);
  if (new Set(promisers).size !== promisers.length || promisers.some((p) => !isAcceptor(config, p)))
    return "an accept whose promises do not come from the decision's acceptors, once each";
  if (promisers.length < quorum)
    return `an accept with ${promisers.length} promises where ${quorum} are needed (phase 1 skipped)`;
  if (
    accept.promises.some((p) => p.accepted !== null && compareBallots(p.accepted.ballot, accept.ballot) >= 0)
  )
    return 'an accept with a promise that reports a ballot it could not have accepted yet';
  const allowed = allowedValue(accept.promises, config.acceptors.length, quorum);
  if (allowed === null)
    return 'an accept whose promises report two values at one ballot that could each have been chosen (its proposer equivocated)';
  if (allowed.value !== null && allowed.value !== accept.value)
    return 'an accept of another value than the one its promises allow';
  return null;
}
