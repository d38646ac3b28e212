import type { GroupView } from '../../api/types.ts';
import type { GroupChange, Predecessor } from '../../model/group/changes.ts';
import { isMember, type Epoch } from '../../model/group/epoch.ts';
import { encodeGroupInvite, type Invite } from '../../model/invite.ts';
import type { QuestionDefinition } from '../../model/question.ts';
import type { WireMessage } from '../../net/wire.ts';
import type { CoreInput, PaxosMessage } from '../../paxos/index.ts';
import type { Logger } from '../../util/logger.ts';
import type { PaxosDriver } from '../durable/paxos-driver.ts';
import type { Signing } from '../identity/signing.ts';
import type { Member } from '../members/members.ts';
import type { GroupRoutes } from '../message-router.ts';
import type { VoteChecks } from '../votes/vote-checks.ts';
import { GroupAdmin } from './group-admin.ts';
import { GroupDesk } from './group-desk.ts';
import type { GroupStore } from './group-store.ts';
import { InviteKeys } from './invite-keys.ts';
import { Removals, RemovalsFile } from './removals.ts';
import { SuccessorFile, type Successor } from './succession.ts';

/** How far ahead of this node's group log a question's epoch may be for it to wait, not refuse. */
export const EPOCHS_AHEAD_AWAITED = 64;

/** What the group log's part of a node needs of the rest of it. */
export interface GroupRoomContext {
  readonly self: string;
  readonly dataDir: string;
  readonly log: Logger;
  readonly driver: PaxosDriver;
  send(to: string, message: WireMessage): void;
  /** The peers connected now that said a valid hello: members and applicants. */
  connectedPeers(): readonly string[];
  /** The members connected now. */
  members(): readonly string[];
  /** The peers connected now that said a valid hello but are no members. */
  applicants(): readonly string[];
  /** Lets an applicant in as a member: the group has made its join. */
  admit(peer: string): void;
  /** Ends a member's connection: the group no longer counts it (it may come back as an applicant). */
  expel(peer: string): void;
  /** This laptop left or was removed: it stops connecting to the group. */
  leaveNetwork(): void;
  rejected(from: string, reason: string): void;
  /** A new epoch is this member's head, on disk (after the room has let peers in or out). */
  changed(epoch: Epoch): void;
  /** What view() shows changed: a new epoch, or a removal asked or approved (each once on disk). */
  viewChanged(): void;
  failed(error: Error): void;
}

/**
 * The group log's part of a node, for a group that keeps one (src/node/group): the log on disk, its
 * open slot at work, and what a member does with it — and what the rest of the node asks of it: who
 * is a member, whom a new question names, whether a question from a peer names only members.
 */
export class GroupRoom {
  readonly store: GroupStore;
  readonly desk: GroupDesk;
  readonly admin: GroupAdmin;
  readonly removals: Removals;

  readonly #successorFile: SuccessorFile;
  #viewChanged: () => void = () => undefined;

  private constructor(
    store: GroupStore,
    desk: GroupDesk,
    admin: GroupAdmin,
    removals: Removals,
    successorFile: SuccessorFile,
  ) {
    this.#successorFile = successorFile;
    this.store = store;
    this.desk = desk;
    this.admin = admin;
    this.removals = removals;
  }

  /** Runs `store`'s group log: its open slot, catch-up, and (for a newcomer) its own join. */
  static async start(
    ctx: GroupRoomContext,
    store: GroupStore,
    signing: Signing,
    ownJoin: GroupChange | null,
  ): Promise<GroupRoom> {
    const { driver } = ctx;
    let removals: Removals | null = null;
    const desk = new GroupDesk({
      self: ctx.self,
      store,
      signing,
      log: ctx.log,
      input: (input: CoreInput) => driver.input(input),
      decision: (id) => driver.core.decision(id),
      send: (to, message) => ctx.send(to, { type: 'paxos', message }),
      connectedPeers: () => ctx.connectedPeers(),
      rejected: (from, reason) => ctx.rejected(from, reason),
      removalApproved: (peer) => removals?.approvedAgainst(peer) ?? false,
      changed: (epoch) => {
        removals?.changed(epoch);
        applyToConnections(ctx, epoch);
        ctx.changed(epoch);
        ctx.viewChanged();
      },
      now: () => Date.now(),
    });
    const removalsFile = new RemovalsFile(ctx.dataDir);
    removals = new Removals(
      {
        self: ctx.self,
        signing,
        store,
        desk,
        log: ctx.log,
        send: (to, m) => ctx.send(to, m),
        members: () => ctx.members(),
        save: (requests) => removalsFile.save(requests),
        shown: () => ctx.viewChanged(),
      },
      await removalsFile.load(),
    );
    const inviteKeys = await InviteKeys.open(ctx.dataDir);
    const admin = new GroupAdmin(
      {
        self: ctx.self,
        inviteKeys,
        signing,
        store,
        desk,
        removals,
        log: ctx.log,
        send: (to, m) => ctx.send(to, m),
        members: () => ctx.members(),
      },
      ownJoin,
    );
    const successorFile = new SuccessorFile(ctx.dataDir);
    admin.continuedIn = await successorFile.load();
    const room = new GroupRoom(store, desk, admin, removals, successorFile);
    room.#failed = ctx.failed;
    room.#viewChanged = () => ctx.viewChanged();
    await desk.start();
    return room;
  }

  #failed: (error: Error) => void = () => undefined;

  /** Whether the log this node holds says that it left or was removed (never undone): it stays offline. */
  get gone(): boolean {
    const standing = this.admin.standing;
    return standing === 'left' || standing === 'removed';
  }

  /** A member of the newest epoch this node holds. */
  admits(peer: string): boolean {
    return isMember(this.store.head, peer);
  }

  /** A peer said a valid hello (a member or not): catch up with it, and ask it to propose our join. */
  met(peer: string): void {
    this.desk.connected(peer);
    this.admin.met(peer);
  }

  /** Where the router sends the group log's messages and outcomes. */
  routes(): GroupRoutes {
    return {
      receive: (from: string, message: PaxosMessage) => this.desk.receive(from, message),
      decided: (decision: string) =>
        void this.desk
          .decided(decision)
          .catch((e: unknown) => this.#failed(e instanceof Error ? e : new Error(String(e)))),
      joinRequested: (from: string, change: GroupChange) => this.admin.joinRequested(from, change),
      removalHeard: (from: string, change: GroupChange) =>
        void this.removals
          .heard(from, change)
          .catch((e: unknown) => this.#failed(e instanceof Error ? e : new Error(String(e)))),
    };
  }

  /** The invite's text: the group's secret and addresses (`base`), the genesis, and a log invite. */
  async invite(base: Invite, now: number, singleUse: boolean): Promise<string> {
    const entry = await this.admin.invite(now, singleUse);
    return encodeGroupInvite({ ...base, invite: entry, genesis: this.store.genesis });
  }

  view(): GroupView {
    return this.admin.view();
  }

  /**
   * What a successor of this group names in its genesis: this group as this laptop holds it. Only a
   * member that takes part here may start one.
   */
  predecessor(): Predecessor {
    this.admin.requireMember();
    const head = this.store.head;
    return { groupId: head.groupId, name: head.name, epoch: head.n };
  }

  /** This laptop started or joined a successor of this group: on disk, then it takes no more part here. */
  async continueIn(successor: Successor): Promise<void> {
    await this.#successorFile.save(successor);
    this.admin.continuedIn = successor;
    this.#viewChanged();
  }

  /**
   * Whom a new question names: the members of the newest epoch, in the order the group admitted them
   * (seats go to the members who joined first, the same order on every member).
   */
  questionMembers(known: (peer: string) => Member | undefined): Member[] {
    return this.store.head.members.map((m, index) => ({
      ...(known(m.peerId) ?? {
        peerId: m.peerId,
        name: m.name,
        addresses: [],
        lastSeen: null,
        online: false,
        seq: 0,
        signature: null,
      }),
      firstSeen: index,
    }));
  }

  /**
   * A question from a peer: signed by its asker, and its asker, acceptors and voters all members of
   * the epoch it was asked in (an identity the group never admitted counts nowhere).
   */
  questionProblem(definition: QuestionDefinition, checks: VoteChecks): string | null {
    if (definition.epoch === undefined)
      return 'a question without the epoch of the group log it was asked in';
    const epoch = this.store.epoch(definition.epoch);
    if (epoch === undefined)
      return `a question asked in epoch ${definition.epoch}, which this member does not hold yet`;
    const problem = checks.questionProblem(definition, Date.now(), (peer) => isMember(epoch, peer));
    if (problem !== null) return problem;
    const stranger = [definition.createdBy, ...(definition.voters ?? [])].find((p) => !isMember(epoch, p));
    return stranger === undefined
      ? null
      : `a question naming ${stranger}, who was no member of the group in epoch ${definition.epoch}`;
  }

  /**
   * A question asked in an epoch a little ahead of this node's: it is behind. It asks the sender for
   * its open slot, and takes the question when it comes again (the catalog exchange asks for what it
   * lacks, with backoff). Far ahead is no epoch anyone holds: judged, and refused.
   */
  waits(from: string, definition: QuestionDefinition): boolean {
    if (definition.epoch === undefined) return false;
    const head = this.store.head.n;
    if (definition.epoch <= head || definition.epoch > head + EPOCHS_AHEAD_AWAITED) return false;
    this.desk.connected(from);
    return true;
  }

  async stop(): Promise<void> {
    this.desk.stop();
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/**
 * What a new epoch means for this node's connections: applicants it made members are let in; while
 * this laptop is a member, peers that are no longer members are let go; once it has left or been
 * removed, it has learned all it may and stops connecting (it would only be an applicant the
 * members keep answering, for ever).
 */
function applyToConnections(ctx: GroupRoomContext, epoch: Epoch): void {
  if (isGone(epoch, ctx.self)) {
    ctx.leaveNetwork();
    return;
  }
  for (const peer of ctx.applicants()) if (isMember(epoch, peer)) ctx.admit(peer);
  if (isMember(epoch, ctx.self))
    for (const peer of ctx.members()) if (!isMember(epoch, peer)) ctx.expel(peer);
}

/** Whether `epoch` says that `peer` left or was removed and has not joined again since. */
export function isGone(epoch: Epoch, peer: string): boolean {
  return !isMember(epoch, peer) && epoch.departed.some((d) => d.peerId === peer);
}
