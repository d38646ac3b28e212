import { decodeSlotValue, encodeSlotValue, type SlotValue } from '../model/group/changes.ts';
import { applyChange, slotConfig, slotOf, type Epoch } from '../model/group/epoch.ts';
import type { NodeId, PaxosMessage } from '../paxos/index.ts';
import { HOSTILE } from './group-plan.ts';

/**
 * The group log simulation's oracle: it folds the chosen values itself, from the Accepteds it sees
 * sent, not from any node's view, and checks every removal's approvals from scratch.
 */
export class GroupOracle {
  /** Epoch n of the oracle's own fold. */
  readonly #truth: Epoch[];
  /** The Accepteds of each slot, by ballot. */
  readonly #accepted = new Map<number, Map<string, { value: string; by: Set<NodeId> }>>();
  readonly #values = new Map<number, SlotValue>();
  readonly #violation: (text: string) => void;

  constructor(base: Epoch, violation: (text: string) => void) {
    this.#truth = [base];
    this.#violation = violation;
  }

  /** The epochs chosen so far, from the base on. */
  get epochs(): readonly Epoch[] {
    return this.#truth;
  }

  /** The chosen value of a slot by the oracle's own fold of the log, if one is chosen yet. */
  chosen(slot: number): string | undefined {
    const value = this.#values.get(slot);
    return value === undefined ? undefined : encodeSlotValue(value);
  }

  /**
   * Extends the oracle's fold: slot n's value is the first to be accepted in one ballot by a strict
   * majority of the acceptors of epoch n, as the oracle folded it (not as any node did).
   */
  #advance(): void {
    for (;;) {
      const n = this.#truth.length - 1;
      const epoch = this.#truth[n] as Epoch;
      const { acceptors } = slotConfig(epoch);
      const chosen = [...(this.#accepted.get(n)?.values() ?? [])].find(
        (b) => [...b.by].filter((a) => acceptors.includes(a)).length * 2 > acceptors.length,
      );
      const value = chosen === undefined ? null : decodeSlotValue(chosen.value);
      if (value === null) return;
      this.#values.set(n, value);
      this.#checkRemoval(epoch, value);
      // Applied whatever it is: whether it was valid is what the checks are for.
      this.#truth.push(applyChange(epoch, value));
    }
  }

  /** A removal needs a strict majority of the other members of its epoch: counted here from scratch. */
  #checkRemoval(epoch: Epoch, value: SlotValue): void {
    const change = value.change;
    if (change.type !== 'remove' || slotConfig(epoch).acceptors.every((a) => a === HOSTILE)) return;
    const others = epoch.members.map((m) => m.peerId).filter((p) => p !== change.target);
    const approvers = new Set(
      [change.by, ...change.approvals.map((a) => a.by)].filter((p) => others.includes(p)),
    );
    if (approvers.size * 2 <= others.length)
      this.#violation(
        `slot ${value.slot} removed ${change.target} with ${approvers.size} of ${others.length} others approving`,
      );
  }

  noteAccepted(from: NodeId, message: Extract<PaxosMessage, { kind: 'accepted' }>): void {
    const slot = slotOf(message.decision);
    if (slot === null) return;
    const ballots = this.#accepted.get(slot) ?? new Map<string, { value: string; by: Set<NodeId> }>();
    this.#accepted.set(slot, ballots);
    const key = `${message.ballot.round}:${message.ballot.node}`;
    const entry = ballots.get(key) ?? { value: message.value, by: new Set<NodeId>() };
    ballots.set(key, entry);
    entry.by.add(from);
    this.#advance();
  }
}
