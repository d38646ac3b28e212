import type { GroupChange, SlotValue } from '../../model/group/changes.ts';
import { encodeSlotValue, decodeSlotValue } from '../../model/group/changes.ts';
import {
  changeProblem,
  isMember,
  slotConfig,
  slotDecision,
  slotOf,
  type Epoch,
} from '../../model/group/epoch.ts';
import type { Certificate, CoreInput, PaxosMessage } from '../../paxos/index.ts';
import type { Logger } from '../../util/logger.ts';
import type { Signing } from '../identity/signing.ts';
import { groupVerifier } from './group-signing.ts';
import type { GroupStore } from './group-store.ts';
import { slotMessageProblem } from './slot-checks.ts';

/** What the group desk needs of the node: its Paxos core (shared with the questions) and the network. */
export interface GroupDeskContext {
  readonly self: string;
  readonly store: GroupStore;
  readonly signing: Signing;
  readonly log: Logger;
  /** Steps the node's Paxos core (through its driver: persist, then send). */
  input(input: CoreInput): void;
  /** The core's state of a decision: its chosen value and certificate, and this node's proposal. */
  decision(id: string):
    | {
        readonly chosen: string | null;
        readonly certificate: Certificate | null;
        readonly proposer: { readonly proposal: string | null };
      }
    | undefined;
  /** Sends a Paxos message to a peer directly (a catch-up query). */
  send(to: string, message: PaxosMessage): void;
  connectedPeers(): readonly string[];
  rejected(from: string, reason: string): void;
  /** A new epoch is this member's head, on disk. */
  changed(epoch: Epoch): void;
  /**
   * Whether the group has approved removing `peer` (a strict majority of the others, held here): its
   * Prepares and Accepts in the log are refused, or it could duel every ballot of its own removal.
   */
  removalApproved?(peer: string): boolean;
  now(): number;
}

/** Why a change this member asked for was not made (it can no longer follow the group's log). */
export class ChangeRefused extends Error {
  override name = 'ChangeRefused';
}

interface Pending {
  readonly change: GroupChange;
  readonly resolve: (epoch: Epoch) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The group log at work in the node: the open slot (the one after this member's head epoch) is a Paxos
 * decision of the node's core, `group:<n>`, among the log acceptors of the head epoch. Changes asked
 * here are proposed one at a time, each in the open slot; one that loses the slot to another change
 * is checked again against the new epoch and proposed in the next. A slot's chosen value becomes this
 * member's epoch only once the group store holds it on disk, with its certificate; then the next slot
 * opens. A member that is behind learns each slot it lacks from any member that has it, with its
 * certificate (the core answers a query for a decided slot with its outcome), one slot after another.
 */
export class GroupDesk {
  readonly #ctx: GroupDeskContext;
  readonly #pending: Pending[] = [];
  /** The slot this member's first pending change is proposed in. */
  #proposing: number | null = null;
  #stopped = false;
  /** Slots being learned: the store's writes run one after another; this keeps one learn per slot. */
  #learning: number | null = null;

  constructor(ctx: GroupDeskContext) {
    this.#ctx = ctx;
  }

  get head(): Epoch {
    return this.#ctx.store.head;
  }

  /**
   * Opens the head's slot. A slot the core decided before a crash, whose value did not reach the
   * group store yet, is learned now.
   */
  async start(): Promise<void> {
    this.#open();
    await this.decided(slotDecision(this.head.n));
  }

  stop(): void {
    this.#stopped = true;
    for (const pending of this.#pending.splice(0))
      pending.reject(new ChangeRefused('this laptop stopped before the change was made'));
  }

  /**
   * Proposes `change` (signed by its author) in the open slot, after the changes asked before it.
   * Resolves with the epoch that made it, once on this member's disk; rejects with ChangeRefused when
   * it can no longer follow (the group changed meanwhile: made already, its invite gone).
   */
  propose(change: GroupChange): Promise<Epoch> {
    const problem = changeProblem(this.head, this.#valueFor(change), groupVerifier(this.#ctx.signing));
    if (problem !== null) return Promise.reject(new ChangeRefused(problem));
    const { promise, resolve, reject } = Promise.withResolvers<Epoch>();
    this.#pending.push({ change, resolve, reject });
    this.#proposeNext();
    return promise;
  }

  /** A peer connected: it is asked about this member's open slot (it answers if it has it decided). */
  connected(peer: string): void {
    this.#ctx.send(peer, { kind: 'query', decision: slotDecision(this.head.n) });
  }

  /**
   * A Paxos message of the group log from a peer: only members of the slot's epoch prepare or accept in
   * it, only those who may read it are answered, and everything the core takes on trust is checked
   * first. A message about a slot ahead of this member's head (a query too) shows it is behind: it
   * asks the sender for its open slot, and so on, slot by slot (an answer is an outcome, never a
   * question, so two members never ask each other in circles).
   */
  receive(from: string, message: PaxosMessage): void {
    const slot = slotOf(message.decision);
    if (slot === null || this.#stopped) return;
    const head = this.head;
    if (slot > head.n) {
      // Even its question says the sender is further along: ask it for this member's open slot.
      this.connected(from);
      return;
    }
    const store = this.#ctx.store;
    if (message.kind === 'query') {
      // A member now, or a member of the slot's epoch: a removed member learns its removal, no more.
      if (isMember(head, from) || isMember(store.epoch(slot) ?? head, from))
        this.#ctx.input({ kind: 'receive', from, message });
      return;
    }
    // A slot decided here already: its outcome is all anyone gets (and only by asking).
    if (slot < head.n) return;
    if ((message.kind === 'prepare' || message.kind === 'accept') && !isMember(head, from)) {
      this.#ctx.rejected(from, `a ${message.kind} of the group log from someone who is not a member`);
      return;
    }
    // Refusing to promise or accept is always safe (it is what a slow acceptor does); it only takes
    // away the ballots with which a member the others agreed to remove could delay its removal.
    if (
      (message.kind === 'prepare' || message.kind === 'accept') &&
      this.#ctx.removalApproved?.(from) === true
    ) {
      this.#ctx.rejected(
        from,
        `a ${message.kind} of the group log from a member the group has agreed to remove`,
      );
      return;
    }
    const problem = slotMessageProblem(head, from, message, this.#ctx.signing, this.#ctx.now());
    if (problem !== null) {
      this.#ctx.rejected(from, problem);
      return;
    }
    this.#ctx.input({ kind: 'receive', from, message });
  }

  /**
   * The core holds a chosen value for `decision` (on its disk): when it is the open slot's, the group
   * store takes it with its certificate, and the next slot opens.
   */
  async decided(decision: string): Promise<void> {
    const slot = slotOf(decision);
    if (slot === null || this.#stopped || slot !== this.head.n || this.#learning === slot) return;
    const state = this.#ctx.decision(decision);
    if (state === undefined || state.chosen === null || state.certificate === null) return;
    this.#learning = slot;
    let learned;
    try {
      learned = await this.#ctx.store.learn([{ value: state.chosen, certificate: state.certificate }]);
    } finally {
      this.#learning = null;
    }
    const epoch = learned.epochs[0];
    if (epoch === undefined) {
      // Only lying acceptors get a value chosen that is not a valid change: the log stops here.
      this.#ctx.log.error('the group log chose a value that cannot follow its epoch', {
        slot,
        problems: learned.problems,
      });
      return;
    }
    if (this.#proposing === slot) this.#proposing = null;
    const chosen = decodeSlotValue(state.chosen);
    const first = this.#pending[0];
    if (first !== undefined && chosen?.change.signature === first.change.signature) {
      this.#pending.shift();
      first.resolve(epoch);
    }
    this.#ctx.changed(epoch);
    this.#open();
    // Whoever has the next slot decided answers; a member that is behind catches up slot by slot.
    for (const peer of this.#ctx.connectedPeers()) this.connected(peer);
    await this.decided(slotDecision(this.head.n));
    this.#proposeNext();
  }

  #open(): void {
    const head = this.head;
    this.#ctx.input({ kind: 'open', decision: slotDecision(head.n), config: slotConfig(head) });
  }

  #valueFor(change: GroupChange): SlotValue {
    const head = this.head;
    return { slot: head.n, at: Math.max(this.#ctx.now(), head.at), change };
  }

  #proposeNext(): void {
    if (this.#stopped || this.#proposing !== null) return;
    const head = this.head;
    const decision = slotDecision(head.n);
    const state = this.#ctx.decision(decision);
    // Decided but not learned yet, or a proposal of this member's from before a restart: wait for it.
    if ((state?.chosen ?? null) !== null || (state?.proposer.proposal ?? null) !== null) return;
    while (this.#pending.length > 0) {
      const pending = this.#pending[0] as Pending;
      const value = this.#valueFor(pending.change);
      const problem = changeProblem(head, value, groupVerifier(this.#ctx.signing));
      if (problem !== null) {
        this.#pending.shift();
        pending.reject(new ChangeRefused(problem));
        continue;
      }
      this.#proposing = head.n;
      this.#ctx.input({ kind: 'propose', decision, value: encodeSlotValue(value) });
      return;
    }
  }
}
