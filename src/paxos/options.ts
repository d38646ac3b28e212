import type { BackoffOptions } from './backoff.ts';
import { DEFAULT_MAX_ACCEPTORS } from './config.ts';

export interface CoreOptions {
  /** How long a proposer waits for a quorum in one phase before it backs off and retries higher. */
  readonly phaseTimeoutMs: number;
  readonly backoff: BackoffOptions;
  /** How often a member that has not learned an outcome asks the others for it (doubling up to max). */
  readonly catchUp: { readonly initialMs: number; readonly maxMs: number };
  readonly maxAcceptors: number;
  /**
   * Replaces the strict-majority quorum. Exists only so the simulator's negative control can show that
   * its oracle catches a broken quorum; nothing else may set it.
   */
  readonly unsafeQuorumForNegativeControl?: (acceptorCount: number) => number;
}

/** Timings for a LAN: round trips take milliseconds, laptops sleep for minutes. */
export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  phaseTimeoutMs: 1_000,
  backoff: { baseMs: 40, maxMs: 2_000 },
  catchUp: { initialMs: 1_000, maxMs: 30_000 },
  maxAcceptors: DEFAULT_MAX_ACCEPTORS,
};
