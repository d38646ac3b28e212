export interface BackoffOptions {
  /** Upper bound of the first retry's delay, in ms. */
  readonly baseMs: number;
  /** The delay never exceeds this, however many attempts failed. */
  readonly maxMs: number;
}

/**
 * "Full jitter" exponential backoff: a uniformly random delay below base·2^attempt (capped). Dueling
 * proposers that retry at random times let one of them finish both phases before the other interrupts.
 * `random` is a number in [0, 1) supplied by the caller, so the core stays deterministic.
 */
export function backoffDelay(attempt: number, random: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random * ceiling) + 1;
}
