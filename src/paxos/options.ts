import type { BackoffOptions } from './backoff.ts';
import { DEFAULT_MAX_ACCEPTORS } from './config.ts';

export interface CoreOptions {
  /** How long a proposer waits for a quorum in one phase before it backs off and retries higher. */
  readonly phaseTimeoutMs: number;
  readonly backoff: BackoffOptions;
  /**
   * How often a member that has not learned an outcome asks the others for it (doubling up to max),
   * and how many times before it stops. A question nobody proposes on stays undecided for ever; asking
   * about it for ever would make an idle node's cost grow with its history. After the last attempt the
   * node still learns the outcome: it is announced to every member when decided, sent with the whole
   * catalog on every new connection, and answered to any Prepare or Accept this node sends.
   */
  readonly catchUp: {
    readonly initialMs: number;
    readonly maxMs: number;
    readonly maxAttempts: number;
    /**
     * Whether a restarted node asks about every decision it has not seen decided. A real node need not:
     * its peers send it a digest of their catalogs, with every outcome it lacks, as soon as they
     * connect (src/node/questions/catalog-sync.ts); asking about each of thousands of open questions as well
     * would only cost. The simulator has no catalog exchange and keeps it on.
     */
    readonly afterRestart: boolean;
    /**
     * Whether opening a decision starts asking about it. A real node need not: a question learned
     * from a peer comes with its outcome when the peer knows it, and outcomes are announced and
     * exchanged on every connection; asking about each of thousands of questions a member created
     * would make an idle catalog cost timers and messages. The simulator keeps it on.
     */
    readonly onOpen: boolean;
  };
  readonly maxAcceptors: number;
  /**
   * Whether opening a decision writes its config to the state log at once. A node whose question
   * catalog keeps the config durably (and reopens its decisions from it after a restart) need not: every
   * later record of the decision carries the config anyway. The simulator, which has no catalog, does.
   */
  readonly recordOnOpen: boolean;
  /**
   * Replaces the strict-majority quorum. Exists only so the simulator's negative control can show that
   * its oracle catches a broken quorum; nothing else may set it.
   */
  readonly unsafeQuorumForNegativeControl?: (acceptorCount: number) => number;
  /**
   * Lets every proposer use round 0 without phase 1, and every acceptor accept it from anyone. Exists
   * only so the simulator's negative control can show that its oracle catches it; nothing else may set it.
   */
  readonly unsafeFirstBallotForAnyoneForNegativeControl?: boolean;
}

/** Timings for a LAN: round trips take milliseconds, laptops sleep for minutes. */
export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  phaseTimeoutMs: 1_000,
  backoff: { baseMs: 40, maxMs: 2_000 },
  catchUp: { initialMs: 1_000, maxMs: 30_000, maxAttempts: 6, afterRestart: false, onOpen: false },
  maxAcceptors: DEFAULT_MAX_ACCEPTORS,
  recordOnOpen: true,
};
