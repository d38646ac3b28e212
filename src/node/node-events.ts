import type { SynodEvent } from '../api/types.ts';
import type { Logger } from '../util/logger.ts';

/**
 * What the node tells its UIs: live events to subscribers, and proposers waiting for a question's
 * outcome. A subscriber that throws is logged and does not stop the others.
 */
export class NodeEvents {
  readonly #log: Logger;
  readonly #listeners = new Set<(event: SynodEvent) => void>();
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(log: Logger) {
    this.#log = log;
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: SynodEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.warn('an event listener failed', { error: String(error) });
      }
    }
  }

  /** Resolves when `questionId` is decided (see `decided`) or after `waitMs`, whichever is first. */
  outcome(questionId: string, waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#waiters.get(questionId) ?? new Set();
      this.#waiters.set(questionId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(questionId);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      set.add(done);
    });
  }

  decided(questionId: string): void {
    for (const wake of this.#waiters.get(questionId) ?? []) wake();
  }
}
