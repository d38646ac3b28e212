import {
  SynodCore,
  type CoreEvent,
  type CoreInput,
  type CoreOptions,
  type DecisionId,
  type DurableDecision,
  type Env,
  type Envelope,
  type NodeId,
} from '../paxos/index.ts';

/** Outputs of one step that may leave the node only once the step's writes are durable. */
export interface HeldOutput {
  readonly send: readonly Envelope[];
  readonly events: readonly CoreEvent[];
}

/**
 * A simulated machine: a SynodCore plus a disk that distinguishes written from synced data. A crash
 * keeps only what was synced; everything in memory (and held outputs) is lost.
 */
export class SimNode {
  readonly id: NodeId;
  alive = true;
  /** Bumped by every crash, so that timers and fsyncs of an earlier life are ignored. */
  incarnation = 0;
  core: SynodCore;
  readonly synced = new Map<DecisionId, DurableDecision>();
  #unsynced: DurableDecision[] = [];
  #held: HeldOutput[] = [];
  fsyncPending = false;
  tickAt: number | null = null;

  constructor(id: NodeId, options: CoreOptions) {
    this.id = id;
    this.core = new SynodCore(id, options);
  }

  /**
   * Runs one input. Returns what may be released now; the rest waits for `completeFsync`. With
   * `replyBeforePersist` (a negative control) outputs leave at once while the writes stay unsynced.
   */
  step(
    input: CoreInput,
    env: Env,
    replyBeforePersist: boolean,
  ): { release: HeldOutput | null; needsFsync: boolean } {
    const ready = this.core.step(input, env);
    const output: HeldOutput = { send: ready.send, events: ready.events };
    if (ready.persist.length > 0) this.#unsynced.push(...ready.persist);
    const needsFsync = this.#unsynced.length > 0 && !this.fsyncPending;
    if (replyBeforePersist) return { release: output, needsFsync };
    if (this.#unsynced.length > 0 || this.#held.length > 0) {
      // Persist, then send: even a step that wrote nothing waits behind earlier unsynced writes,
      // because what it says may depend on them.
      this.#held.push(output);
      return { release: null, needsFsync };
    }
    return { release: output, needsFsync: false };
  }

  /** The disk confirms every write issued so far; held outputs may now leave, in order. */
  completeFsync(): HeldOutput[] {
    for (const record of this.#unsynced) this.synced.set(record.id, record);
    this.#unsynced = [];
    this.fsyncPending = false;
    const released = this.#held;
    this.#held = [];
    return released;
  }

  crash(): void {
    this.alive = false;
    this.incarnation++;
    this.#unsynced = [];
    this.#held = [];
    this.fsyncPending = false;
    this.tickAt = null;
  }

  restart(env: Env, options: CoreOptions, forgetProposerState: boolean): void {
    const records = [...this.synced.values()].map((r) =>
      forgetProposerState ? { ...r, roundUsed: 0, proposal: null } : r,
    );
    this.core = SynodCore.recover(this.id, records, env, options);
    this.alive = true;
  }
}
