import { SynodError } from '../../api/types.ts';
import { approvalStatement, changeStatement, type GroupChange } from '../../model/group/changes.ts';
import { isMember, REPLAY_WINDOW, type Epoch } from '../../model/group/epoch.ts';
import type { WireMessage } from '../../net/wire.ts';
import type { Logger } from '../../util/logger.ts';
import type { Signing } from '../identity/signing.ts';
import type { GroupDesk } from './group-desk.ts';
import { approve, signChange } from './group-signing.ts';
import type { GroupStore } from './group-store.ts';

export type RemovalRequest = Extract<GroupChange, { type: 'remove' }>;

/** Removal requests one node keeps at once, and per requester. */
export const MAX_PENDING_REMOVALS = 64;
export const MAX_REMOVALS_PER_REQUESTER = 4;

export interface RemovalsContext {
  readonly self: string;
  readonly signing: Signing;
  readonly store: GroupStore;
  readonly desk: GroupDesk;
  readonly log: Logger;
  send(to: string, message: WireMessage): void;
  /** The members connected now. */
  members(): readonly string[];
}

/**
 * Removals by the group's consent: a member asks (its request signed), the others approve (each
 * approval signed over that very request), and once a strict majority of the members other than the
 * one to be removed approve — the requester counts — any member that holds them proposes the removal
 * in the group log. Requests and approvals travel between members; each node keeps the ones it heard
 * of (bounded), and checks every signature before it keeps or passes one on. Only the group log
 * decides: a request that never gathers a majority changes nothing.
 */
export class Removals {
  readonly #ctx: RemovalsContext;
  /** By the request's signature: the request with every approval gathered. */
  readonly #pending = new Map<string, RemovalRequest>();
  readonly #proposed = new Set<string>();

  constructor(ctx: RemovalsContext) {
    this.#ctx = ctx;
  }

  /** This member asks the group to remove `target`; the request counts this member's approval. */
  request(target: string): RemovalRequest {
    const head = this.#ctx.store.head;
    if (target === this.#ctx.self) throw new SynodError('invalid-input', 'to leave the group, leave it');
    if (!isMember(head, target)) throw new SynodError('not-found', `${target} is no member of the group`);
    const existing = this.#forTarget(target).find((r) => r.by === this.#ctx.self);
    if (existing !== undefined) return existing;
    const request = signChange(this.#ctx.signing, {
      type: 'remove',
      by: this.#ctx.self,
      epoch: head.n,
      target,
      approvals: [],
    });
    this.#keep(request);
    this.#spread(request);
    this.#proposeIfApproved(request);
    return request;
  }

  /** This member approves the pending request(s) to remove `target`. */
  approve(target: string): RemovalRequest {
    const requests = this.#forTarget(target).filter((r) => r.by !== this.#ctx.self);
    if (requests.length === 0)
      throw new SynodError('not-found', `nobody has asked to remove ${target} (ask with "remove")`);
    if (target === this.#ctx.self)
      throw new SynodError(
        'invalid-input',
        'a member cannot approve its own removal: its word does not count',
      );
    let last = requests[0] as RemovalRequest;
    for (const request of requests) {
      if (request.approvals.some((a) => a.by === this.#ctx.self)) continue;
      const approval = approve(this.#ctx.signing, { ...request, approvals: [] }, this.#ctx.self);
      last = { ...request, approvals: [...request.approvals, approval] };
      this.#pending.set(request.signature, last);
      this.#spread(last);
      this.#proposeIfApproved(last);
    }
    return last;
  }

  /** A request (with approvals) from a member: checked, merged with what this node holds, passed on if news. */
  heard(from: string, change: GroupChange): void {
    if (change.type !== 'remove') return;
    const head = this.#ctx.store.head;
    if (!isMember(head, from) || !this.#current(change)) return;
    const verify = (signer: string, statement: ReturnType<typeof changeStatement>, signature: string) =>
      this.#ctx.signing.verify(signer, statement, signature);
    if (!verify(change.by, changeStatement(change), change.signature)) return;
    const held = this.#pending.get(change.signature);
    if (held === undefined && !this.#roomFor(change.by)) return;
    const approvals = [...(held?.approvals ?? [])];
    const statement = approvalStatement({ ...change, approvals: [] });
    let news = held === undefined;
    for (const approval of change.approvals) {
      if (approvals.some((a) => a.by === approval.by)) continue;
      if (approval.by === change.target || approval.by === change.by || !isMember(head, approval.by))
        continue;
      if (!verify(approval.by, statement, approval.signature)) continue;
      approvals.push(approval);
      news = true;
    }
    if (!news) return;
    const merged = { ...change, approvals };
    this.#pending.set(change.signature, merged);
    this.#spread(merged);
    this.#proposeIfApproved(merged);
  }

  /** A new epoch: requests it made, or that can no longer follow, are dropped. */
  changed(epoch: Epoch): void {
    for (const [key, request] of this.#pending)
      if (!this.#current(request, epoch)) {
        this.#pending.delete(key);
        this.#proposed.delete(key);
      }
  }

  /** The requests pending now, with the approvals gathered and how many are needed. */
  pending(): { request: RemovalRequest; needed: number }[] {
    const others = this.#ctx.store.head.members.length - 1;
    return [...this.#pending.values()].map((request) => ({ request, needed: Math.floor(others / 2) + 1 }));
  }

  #forTarget(target: string): RemovalRequest[] {
    return [...this.#pending.values()].filter((r) => r.target === target && this.#current(r));
  }

  /** Still a request for the group as it is: its target a member, and signed recently enough. */
  #current(request: RemovalRequest, epoch = this.#ctx.store.head): boolean {
    return (
      isMember(epoch, request.target) &&
      isMember(epoch, request.by) &&
      request.epoch <= epoch.n &&
      request.epoch >= epoch.n - REPLAY_WINDOW
    );
  }

  #roomFor(requester: string): boolean {
    const pending = [...this.#pending.values()];
    return (
      pending.length < MAX_PENDING_REMOVALS &&
      pending.filter((r) => r.by === requester).length < MAX_REMOVALS_PER_REQUESTER
    );
  }

  #keep(request: RemovalRequest): void {
    if (!this.#roomFor(request.by))
      throw new SynodError('invalid-input', 'too many removals are being asked already; wait for them');
    this.#pending.set(request.signature, request);
  }

  #spread(request: RemovalRequest): void {
    for (const peer of this.#ctx.members()) this.#ctx.send(peer, { type: 'group-removal', change: request });
  }

  /** A majority of the other members approve (the requester counts): propose it, once. */
  #proposeIfApproved(request: RemovalRequest): void {
    const others = this.#ctx.store.head.members.length - 1;
    if ((1 + request.approvals.length) * 2 <= others) return;
    const key = `${request.signature}:${request.approvals.length}`;
    if (this.#proposed.has(key)) return;
    this.#proposed.add(key);
    this.#ctx.desk.propose(request).catch((error: unknown) => {
      this.#ctx.log.info('a removal was not made', { target: request.target, reason: String(error) });
    });
  }
}
