/**
 * Keeps trying to reach members that are not connected, with exponential backoff per peer (laptops
 * sleep for hours; a fixed number of retries would give up on them). The rule of who dials whom
 * (the lower peer id dials; the other waits a grace period first) avoids most double connections.
 */
export interface ReconnectTarget {
  readonly peer: string;
  /** A user-given address is always dialed at once. */
  readonly manual: boolean;
}

export interface ReconnectorOptions {
  readonly self: string;
  readonly isConnected: (peer: string) => boolean;
  readonly dial: (peer: string) => Promise<void>;
  readonly targets: () => Iterable<ReconnectTarget>;
  readonly now?: () => number;
  readonly baseMs?: number;
  readonly maxMs?: number;
  /** How long the higher peer id waits for the lower one to dial before dialing itself. */
  readonly graceMs?: number;
  /** The most dials under way at once, whatever the number of targets. */
  readonly maxDialing?: number;
}

export class Reconnector {
  readonly #options: Required<ReconnectorOptions>;
  readonly #state = new Map<string, { nextAt: number; delay: number; since: number }>();
  readonly #dialing = new Set<string>();
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ReconnectorOptions) {
    this.#options = {
      now: Date.now,
      baseMs: 1_000,
      maxMs: 30_000,
      graceMs: 3_000,
      maxDialing: Number.POSITIVE_INFINITY,
      ...options,
    };
  }

  start(intervalMs = 500): void {
    this.#timer ??= setInterval(() => this.poll(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** A connection came up, or the peer was just heard from (mDNS): dial again without waiting. */
  reset(peer: string): void {
    this.#state.delete(peer);
  }

  poll(): void {
    const { self, isConnected, dial, targets, now, baseMs, maxMs, graceMs, maxDialing } = this.#options;
    const t = now();
    const current = new Set<string>();
    for (const { peer, manual } of targets()) {
      current.add(peer);
      if (peer === self || isConnected(peer) || this.#dialing.has(peer)) continue;
      const state = this.#state.get(peer) ?? { nextAt: t, delay: baseMs, since: t };
      this.#state.set(peer, state);
      const myTurn = manual || self < peer || t - state.since >= graceMs;
      if (!myTurn || t < state.nextAt || this.#dialing.size >= maxDialing) continue;
      this.#dialing.add(peer);
      dial(peer)
        .then(() => this.#state.delete(peer))
        .catch(() => {
          state.nextAt = now() + state.delay;
          state.delay = Math.min(state.delay * 2, maxMs);
        })
        .finally(() => this.#dialing.delete(peer));
    }
    // Peers no longer targets (a hint replaced by a newer one) leave no state behind.
    for (const peer of this.#state.keys()) if (!current.has(peer)) this.#state.delete(peer);
  }
}
