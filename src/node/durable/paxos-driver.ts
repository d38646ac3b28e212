import type {
  CoreEvent,
  CoreInput,
  DurableDecision,
  NodeId,
  PaxosMessage,
  Ready,
  SynodCore,
} from '../../paxos/index.ts';
import type { StateLog } from '../../storage/index.ts';

export interface DriverHooks {
  send(to: NodeId, message: PaxosMessage): void;
  /** Every message as it leaves, including those to this node itself. */
  sent?(to: NodeId, message: PaxosMessage): void;
  event(event: CoreEvent): void;
  /** The state log failed: the node must stop voting. */
  failed(error: Error): void;
  /** Whether the acceptors can be expected to accept a value (see Env.acceptable). */
  acceptable?(decision: string, value: string): boolean;
  /**
   * Whether this node's acceptor may take a message its own proposer sent it: the checks that messages
   * from others pass where they enter the node (a close that omits votes this node holds is refused
   * here too).
   */
  admitsOwn?(message: PaxosMessage): boolean;
}

/**
 * Carries out what the pure core asks, in its order: persist (fsync), then send, then report. Inputs
 * are stepped at once, in arrival order; their writes are group-committed by the state log; their
 * sends and events are released strictly in step order, each only after every write before it is on
 * disk — even a step that wrote nothing may say something that depends on an earlier write.
 */
export class PaxosDriver {
  readonly #core: SynodCore;
  readonly #log: StateLog<DurableDecision>;
  readonly #hooks: DriverHooks;
  readonly #clock: () => number;
  readonly #random: () => number;
  #released: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #timerAt: number | null = null;
  #failed = false;
  #stopped = false;

  constructor(
    core: SynodCore,
    log: StateLog<DurableDecision>,
    hooks: DriverHooks,
    clock = Date.now,
    random = Math.random,
  ) {
    this.#core = core;
    this.#log = log;
    this.#hooks = hooks;
    this.#clock = clock;
    this.#random = random;
    // A recovered core may have work due at once: a proposal to resume after a restart.
    this.#scheduleTimer();
  }

  get core(): SynodCore {
    return this.#core;
  }

  get failed(): boolean {
    return this.#failed;
  }

  input(input: CoreInput): void {
    if (this.#failed || this.#stopped) return;
    const acceptable = this.#hooks.acceptable?.bind(this.#hooks);
    const ready = this.#core.step(input, { now: this.#clock(), random: this.#random, acceptable });
    this.#carryOut(ready);
    this.#scheduleTimer();
  }

  /** Resolves when everything stepped so far has been persisted and released. */
  settled(): Promise<void> {
    return this.#released;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#released;
  }

  #carryOut(ready: Ready): void {
    const written = this.#log.write(ready.persist);
    const previous = this.#released;
    this.#released = Promise.all([previous, written]).then(
      () => {
        if (this.#failed) return;
        // Messages to other nodes leave first; one to oneself is a local call, stepped after them,
        // so that this node's own vote (a signature and a write) does not delay theirs.
        for (const { to, message } of ready.send) {
          this.#hooks.sent?.(to, message);
          if (to !== this.#core.self) this.#hooks.send(to, message);
        }
        for (const { to, message } of ready.send) {
          if (to === this.#core.self && this.#hooks.admitsOwn?.(message) !== false)
            queueMicrotask(() => this.input({ kind: 'receive', from: to, message }));
        }
        for (const event of ready.events) this.#hooks.event(event);
      },
      (error: unknown) => {
        if (this.#failed) return;
        this.#failed = true;
        this.#hooks.failed(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  #scheduleTimer(): void {
    if (this.#stopped) return;
    const due = this.#core.nextTimer();
    if (due === null || (this.#timerAt !== null && this.#timerAt <= due)) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = due;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = null;
        this.input({ kind: 'tick' });
      },
      Math.max(0, due - this.#clock()),
    );
    this.#timer.unref();
  }
}
