import type { PeerView, QuestionView, SynodEvent } from '../api/types.ts';
import type { DialRecord } from './network/node-network.ts';
import type { MemberRegistry } from './members/members.ts';
import { peerViews } from './members/members.ts';
import type { NodeState } from './durable/node-state.ts';
import { questionView } from './questions/question-views.ts';

/** What the views need of their node. */
export interface NodeViewsContext {
  readonly self: string;
  readonly storage: NodeState | null;
  readonly members: MemberRegistry;
  displayName(): string | null;
  lastDial(peer: string): DialRecord | null;
  /** Why this node does not vote, or null: it shows itself offline to its own questions then. */
  storageError(): string | null;
  emit(event: SynodEvent): void;
  /**
   * Whether a peer is a member now. In a group that keeps a group log, only the members of its newest
   * epoch are, whoever else this node has heard of (a member removed or gone); otherwise all are.
   */
  isMember(peer: string): boolean;
}

/**
 * What this node shows its user and clients, questions and members, as views and as events. A
 * question is shown from its disk only (the catalog's record as written, the decision's last durable
 * record), and not at all while it is not on disk yet: nothing shown can be taken back by a crash.
 */
export class NodeViews {
  readonly #ctx: NodeViewsContext;

  constructor(ctx: NodeViewsContext) {
    this.#ctx = ctx;
  }

  question(id: string): QuestionView | null {
    const { storage, self, members } = this.#ctx;
    const record = storage?.catalog.shown(id);
    if (storage === null || record === undefined) return null;
    return questionView(record, storage.paxos.records.get(id), {
      self,
      nameOf: (peerId) => this.nameOf(peerId),
      isOnline: (peerId) =>
        peerId === self ? this.#ctx.storageError() === null : (members.get(peerId)?.online ?? false),
      votes: (question) => storage.votes.standing(question),
      voteSet: (question, digest) => storage.votes.set(question, digest)?.votes,
      receipts: (question, vote) => storage.votes.receipts(question, vote).length,
    });
  }

  /** Every question on disk, newest first. */
  questions(): QuestionView[] {
    const views: QuestionView[] = [];
    for (const record of this.#ctx.storage?.catalog.newestFirst() ?? []) {
      const view = this.question(record.id);
      if (view !== null) views.push(view);
    }
    return views;
  }

  peers(): PeerView[] {
    return peerViews(this.#ctx.members.all(), this.#ctx.self, (peer) => this.#ctx.lastDial(peer)).filter(
      (p) => this.#ctx.isMember(p.peerId),
    );
  }

  nameOf(peerId: string): string {
    return peerId === this.#ctx.self ? (this.#ctx.displayName() ?? 'me') : this.#ctx.members.nameOf(peerId);
  }

  /** The question's view as an event, once it is on disk. */
  emitQuestion(id: string): void {
    const view = this.question(id);
    if (view !== null) this.#ctx.emit({ type: 'question', question: view });
  }

  /** Tells the UI about members, and about the open questions whose reachability `changed` touches. */
  emitPeers(changed: readonly string[]): void {
    this.#ctx.emit({ type: 'peers', peers: this.peers() });
    const storage = this.#ctx.storage;
    for (const record of storage?.catalog.values() ?? []) {
      if ((storage?.driver.core.decision(record.id)?.chosen ?? null) !== null) continue;
      if (record.definition.acceptors.some((a) => changed.includes(a))) this.emitQuestion(record.id);
    }
  }
}
