import { SynodError } from '../../api/types.ts';
import { approvalStatement, changeStatement, type GroupChange } from '../../model/group/changes.ts';
import { isMember, REPLAY_WINDOW, type Epoch } from '../../model/group/epoch.ts';
import type { WireMessage } from '../../net/wire.ts';
import type { Logger } from '../../util/logger.ts';
import type { Signing } from '../identity/signing.ts';
import type { GroupDesk } from './group-desk.ts';
import { approve, signChange } from './group-signing.ts';
import type { GroupStore } from './group-store.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { groupChangeSchema } from '../../model/group/changes.ts';
import { writeFileDurably } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';

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
  /**
   * Writes the requests held (every byte, then fsync) before any of them is shown, passed on or
   * proposed: an approval a member was told it gave is never un-said after a crash. Absent: kept in
   * memory only (tests).
   */
  save?(requests: readonly RemovalRequest[]): Promise<void>;
  /** What pending() shows changed (once it is on disk). */
  shown?(): void;
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
  /** What is on disk, and so what is shown: `#pending` as of the last save that ended. */
  #saved: readonly RemovalRequest[] = [];
  #saving: Promise<void> = Promise.resolve();
  readonly #proposed = new Set<string>();

  /** `held`: the requests kept on disk from before (those that still follow the newest epoch stay). */
  constructor(ctx: RemovalsContext, held: readonly RemovalRequest[] = []) {
    this.#ctx = ctx;
    for (const request of held.slice(0, MAX_PENDING_REMOVALS))
      if (this.#current(request)) this.#pending.set(request.signature, request);
    this.#saved = [...this.#pending.values()];
  }

  /** This member asks the group to remove `target`; the request counts this member's approval. */
  async request(target: string): Promise<RemovalRequest> {
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
    await this.#save();
    this.#spread(request);
    this.#proposeIfApproved(request);
    return request;
  }

  /** This member approves the pending request(s) to remove `target`. */
  async approve(target: string): Promise<RemovalRequest> {
    const requests = this.#forTarget(target).filter((r) => r.by !== this.#ctx.self);
    if (requests.length === 0)
      throw new SynodError('not-found', `nobody has asked to remove ${target} (ask with "remove")`);
    if (target === this.#ctx.self)
      throw new SynodError(
        'invalid-input',
        'a member cannot approve its own removal: its word does not count',
      );
    const approved = requests.map((request) => {
      if (request.approvals.some((a) => a.by === this.#ctx.self)) return request;
      const approval = approve(this.#ctx.signing, { ...request, approvals: [] }, this.#ctx.self);
      const merged = { ...request, approvals: [...request.approvals, approval] };
      this.#pending.set(request.signature, merged);
      return merged;
    });
    await this.#save();
    for (const request of approved) {
      this.#spread(request);
      this.#proposeIfApproved(request);
    }
    return approved.at(-1) as RemovalRequest;
  }

  /** A request (with approvals) from a member: checked, merged with what this node holds, passed on if news. */
  async heard(from: string, change: GroupChange): Promise<void> {
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
    await this.#save();
    this.#spread(merged);
    this.#proposeIfApproved(merged);
  }

  /** A new epoch: requests it made, or that can no longer follow, are dropped. */
  changed(epoch: Epoch): void {
    let dropped = false;
    for (const [key, request] of this.#pending)
      if (!this.#current(request, epoch)) {
        this.#pending.delete(key);
        this.#proposed.delete(key);
        dropped = true;
      }
    if (dropped)
      this.#save().catch((error: unknown) =>
        this.#ctx.log.warn('could not write the removals asked', { error: String(error) }),
      );
  }

  /** The requests pending now, with the approvals gathered and how many are needed. */
  pending(): { request: RemovalRequest; needed: number }[] {
    const others = this.#ctx.store.head.members.length - 1;
    // What is on disk, and still follows the newest epoch: nothing is shown before it is saved.
    return this.#saved
      .filter((request) => this.#current(request))
      .map((request) => ({ request, needed: Math.floor(others / 2) + 1 }));
  }

  /** Writes what is held now, after any write under way; then it is what is shown. */
  #save(): Promise<void> {
    const run = this.#saving.then(async () => {
      const snapshot = [...this.#pending.values()];
      await this.#ctx.save?.(snapshot);
      this.#saved = snapshot;
      this.#ctx.shown?.();
    });
    this.#saving = run.catch(() => undefined);
    return run;
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
  /**
   * Whether this node holds a request to remove `peer` that a strict majority of the other members
   * approve: the group has agreed, and only the log's slot remains to be won.
   */
  approvedAgainst(peer: string): boolean {
    const others = this.#ctx.store.head.members.length - 1;
    return this.#forTarget(peer).some((r) => (1 + r.approvals.length) * 2 > others);
  }

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

const fileSchema = z.array(groupChangeSchema).max(MAX_PENDING_REMOVALS);

/**
 * `removals.json`: the removal requests a member holds, with their approvals. What it cannot read (a
 * damaged file) costs only the requests, which members ask again; each is checked again on use.
 */
export class RemovalsFile {
  readonly #path: string;

  constructor(dir: string) {
    this.#path = join(dir, FILES.removals);
  }

  async load(): Promise<RemovalRequest[]> {
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(this.#path, 'utf8')));
      return parsed.success ? parsed.data.filter((c): c is RemovalRequest => c.type === 'remove') : [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return [];
      throw error;
    }
  }

  save(requests: readonly RemovalRequest[]): Promise<void> {
    return writeFileDurably(this.#path, JSON.stringify(requests), { what: 'the removals asked' });
  }
}
