import type { NodeId } from './ballot.ts';
import { checkConfig, sameConfig, type DecisionConfig } from './config.ts';
import {
  decisionTimer,
  openDecision,
  proposeIn,
  receiveIn,
  restoreDecision,
  reviseIn,
  tickIn,
  toDurable,
  type CoreEvent,
  type DecisionState,
  type DecisionStep,
  type DurableDecision,
  type StepContext,
} from './decision.ts';
import type { DecisionId, Envelope, PaxosMessage, Signer, Value } from './messages.ts';
import { DEFAULT_CORE_OPTIONS, type CoreOptions } from './options.ts';

export type CoreInput =
  /** Learn a decision's definition (at creation, or from a peer). */
  | { readonly kind: 'open'; readonly decision: DecisionId; readonly config: DecisionConfig }
  | { readonly kind: 'propose'; readonly decision: DecisionId; readonly value: Value }
  /** Replace this node's proposal for the ballots to come, and start one (see reviseProposal). */
  | { readonly kind: 'revise'; readonly decision: DecisionId; readonly value: Value }
  | { readonly kind: 'receive'; readonly from: NodeId; readonly message: PaxosMessage }
  /** Time has passed: fire due timeouts, retries and catch-up queries. */
  | { readonly kind: 'tick' };

/** The only ways the outside world reaches into the core: the current time and a source of randomness. */
export interface Env {
  readonly now: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /**
   * Whether the acceptors can be expected to accept a value (a close that omits votes they hold is
   * refused): a proposer then looks for a phase 1 that leaves it free (see ProposerContext.acceptable).
   */
  readonly acceptable?: ((decision: DecisionId, value: Value) => boolean) | undefined;
}

/**
 * What the caller must do after a step, in this order (compare etcd raft's Ready):
 * 1. write `persist` durably (fsync) — nothing below may happen before;
 * 2. send `send`;
 * 3. report `events`.
 */
export interface Ready {
  readonly persist: readonly DurableDecision[];
  readonly send: readonly Envelope[];
  readonly events: readonly CoreEvent[];
}

/**
 * One node's Paxos state for any number of independent decisions. Each transition is computed by the
 * pure functions in decision.ts; this class only keeps the current state of every decision.
 */
export class SynodCore {
  readonly self: NodeId;
  readonly options: CoreOptions;
  readonly #sign: Signer;
  readonly #decisions = new Map<DecisionId, DecisionState>();
  /**
   * The decisions that have a timer, with its due time: a decided or idle decision costs nothing, so
   * a tick and `nextTimer` cost what is under way, not the node's whole history.
   */
  readonly #timers = new Map<DecisionId, number>();

  /**
   * `sign` signs this node's Promises and Accepteds with its identity key. Without one (unit tests,
   * the simulator) a placeholder names the signer, which no real node would accept.
   */
  constructor(
    self: NodeId,
    options: CoreOptions = DEFAULT_CORE_OPTIONS,
    sign: Signer = placeholderSigner(self),
  ) {
    this.self = self;
    this.options = options;
    this.#sign = sign;
  }

  /** A node after a restart: exactly what was on disk, with unfinished proposals resumed. */
  static recover(
    self: NodeId,
    records: Iterable<DurableDecision>,
    env: Env,
    options: CoreOptions = DEFAULT_CORE_OPTIONS,
    sign: Signer = placeholderSigner(self),
  ): SynodCore {
    const core = new SynodCore(self, options, sign);
    const ctx = core.#context(env);
    for (const record of records) core.#set(restoreDecision(record, ctx));
    return core;
  }

  decision(id: DecisionId): DecisionState | undefined {
    return this.#decisions.get(id);
  }

  decisions(): IterableIterator<DecisionState> {
    return this.#decisions.values();
  }

  /** The earliest time at which a `tick` has something to do, or null when nothing is pending. */
  nextTimer(): number | null {
    let earliest: number | null = null;
    for (const t of this.#timers.values()) if (earliest === null || t < earliest) earliest = t;
    return earliest;
  }

  step(input: CoreInput, env: Env): Ready {
    const ctx = this.#context(env);
    switch (input.kind) {
      case 'open':
        return this.#open(input.decision, input.config, ctx);
      case 'propose': {
        const state = this.#decisions.get(input.decision);
        if (state === undefined)
          return refusal(input.decision, null, 'propose on a decision that is not open');
        return this.#apply([proposeIn(state, input.value, ctx)]);
      }
      case 'revise': {
        const state = this.#decisions.get(input.decision);
        if (state === undefined)
          return refusal(input.decision, null, 'revise on a decision that is not open');
        return this.#apply([reviseIn(state, input.value, ctx)]);
      }
      case 'receive': {
        const state = this.#decisions.get(input.message.decision);
        if (state === undefined) {
          return {
            persist: [],
            send: [],
            events: [{ kind: 'unknown-decision', decision: input.message.decision, from: input.from }],
          };
        }
        return this.#apply([receiveIn(state, input.from, input.message, ctx)]);
      }
      case 'tick': {
        const steps: DecisionStep[] = [];
        for (const [id, due] of this.#timers) {
          const state = this.#decisions.get(id);
          if (state !== undefined && due <= env.now) steps.push(tickIn(state, ctx));
        }
        return this.#apply(steps);
      }
    }
  }

  #open(id: DecisionId, config: DecisionConfig, ctx: StepContext): Ready {
    const existing = this.#decisions.get(id);
    if (existing !== undefined) {
      if (sameConfig(existing.config, config)) return EMPTY_READY;
      return refusal(id, null, 'the decision is already open with another set of acceptors');
    }
    const problem = checkConfig(config, this.options.maxAcceptors);
    if (problem !== null) return refusal(id, null, problem);
    const state = openDecision(id, config, ctx);
    this.#set(state);
    // The acceptor set is recorded with the decision before anything is done with it: here, or (when
    // the caller keeps it durably elsewhere) in the first record of a vote, which carries it.
    return { persist: this.options.recordOnOpen ? [toDurable(state)] : [], send: [], events: [] };
  }

  #apply(steps: readonly DecisionStep[]): Ready {
    const persist: DurableDecision[] = [];
    const send: Envelope[] = [];
    const events: CoreEvent[] = [];
    for (const step of steps) {
      this.#set(step.state);
      if (step.mustPersist) persist.push(toDurable(step.state));
      send.push(...step.send);
      events.push(...step.events);
    }
    return { persist, send, events };
  }

  /** How many decisions have a timer running (a proposal under way or a catch-up pending). */
  get activeDecisions(): number {
    return this.#timers.size;
  }

  #set(state: DecisionState): void {
    this.#decisions.set(state.id, state);
    const due = decisionTimer(state);
    if (due === null) this.#timers.delete(state.id);
    else this.#timers.set(state.id, due);
  }

  #context(env: Env): StepContext {
    return {
      self: this.self,
      now: env.now,
      random: env.random,
      sign: this.#sign,
      options: this.options,
      acceptable: env.acceptable,
    };
  }
}

/**
 * A stand-in signature that names its signer and what it signs: enough for the simulator's oracle and
 * the conflict evidence to tell acceptors apart, and never valid where real signatures are checked.
 */
export function placeholderSigner(self: NodeId): Signer {
  return (statement) => `unsigned:${self}:${JSON.stringify(statement)}`;
}

const EMPTY_READY: Ready = { persist: [], send: [], events: [] };

function refusal(decision: DecisionId, from: NodeId | null, reason: string): Ready {
  return { persist: [], send: [], events: [{ kind: 'refused', decision, from, reason }] };
}
