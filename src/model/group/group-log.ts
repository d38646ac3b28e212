import type { SlotValue } from './changes.ts';
import { applyChange, changeProblem, isMember, type Epoch, type GroupVerifier } from './epoch.ts';

/**
 * One member's copy of the group log: the epochs it has applied, in order, from the one it started
 * from (the genesis, or the epoch it was handed). A value is appended only for the next slot, only
 * once it is chosen (the caller has its certificate), and only when it is a valid change of the
 * epoch it follows — so two members that applied n values hold the same n + 1 epochs.
 */
export class GroupLog {
  readonly #epochs: Epoch[];
  readonly #values: SlotValue[] = [];
  readonly #verify: GroupVerifier;

  constructor(start: Epoch, verify: GroupVerifier) {
    this.#epochs = [start];
    this.#verify = verify;
  }

  /** The newest epoch this member holds: its slot `head.n` is the one open. */
  get head(): Epoch {
    return this.#epochs[this.#epochs.length - 1] as Epoch;
  }

  get first(): Epoch {
    return this.#epochs[0] as Epoch;
  }

  /** Epoch n, if this member holds it. */
  epoch(n: number): Epoch | undefined {
    return this.#epochs[n - this.first.n];
  }

  /** The chosen value of slot n (what made epoch n + 1), if applied here. */
  value(slot: number): SlotValue | undefined {
    return this.#values[slot - this.first.n];
  }

  /** Appends the chosen value of the open slot: the new head, or why the value cannot follow it. */
  append(value: SlotValue): Epoch | string {
    const problem = changeProblem(this.head, value, this.#verify);
    if (problem !== null) return problem;
    const next = applyChange(this.head, value);
    this.#values.push(value);
    this.#epochs.push(next);
    return next;
  }

  /**
   * Whether `peer` may be told the outcome of slot `slot`: a member now, or a member of the epoch the
   * slot follows (a removed member learns its removal, and nothing after it).
   */
  mayRead(peer: string, slot: number): boolean {
    const epoch = this.epoch(slot);
    return isMember(this.head, peer) || (epoch !== undefined && isMember(epoch, peer));
  }
}
