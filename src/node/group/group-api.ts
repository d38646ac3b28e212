import type { PrivateKey } from '@libp2p/interface';
import { inputSchemas, parseInput } from '../../api/schemas.ts';
import {
  SynodError,
  type CreateGroupInput,
  type GroupView,
  type JoinGroupInput,
  type JoinResult,
  type NodeStatus,
} from '../../api/types.ts';
import type { GroupChange, Predecessor } from '../../model/group/changes.ts';
import { isGroupInvite } from '../../model/invite.ts';
import type { Signing } from '../identity/signing.ts';
import { readInvite, type GroupLink } from '../network/group-link.ts';
import { GroupAdmin } from './group-admin.ts';
import type { GroupRoom } from './group-room.ts';
import type { GroupStore } from './group-store.ts';

/** What the group calls of SynodApi need of the node. */
export interface GroupApiContext {
  readonly self: string;
  readonly dataDir: string;
  readonly privateKey: PrivateKey;
  /** Groups this node creates keep a group log (NodeOptions.groupLog). */
  readonly groupLog: boolean;
  readonly link: GroupLink;
  /** The group log's part of the node, once it runs one. */
  room(): GroupRoom | null;
  /** Runs the group log of `store` (before the network starts: the first hello is judged by it). */
  startRoom(store: GroupStore, ownJoin: GroupChange | null, signing: Signing): Promise<void>;
  requireStorage(): void;
  /** The members, and the peers that said hello but are no members, connected now. */
  members(): string[];
  applicants(): string[];
  nameOf(peer: string): string;
  status(): NodeStatus;
  /** The node's status changed: the pages should hear of it. */
  statusChanged(): void;
}

/**
 * The calls of SynodApi about the group itself: creating or joining one, invites, and the changes a
 * group with a group log makes (rename, revoke, leave, removal), for either kind of group.
 */
export class GroupApi {
  readonly #ctx: GroupApiContext;

  constructor(ctx: GroupApiContext) {
    this.#ctx = ctx;
  }

  /** Creates a group (`predecessor`: a successor of that group, which always keeps a group log). */
  async createGroup(input: CreateGroupInput, predecessor?: Predecessor): Promise<NodeStatus> {
    if (this.#ctx.groupLog !== true && predecessor === undefined) {
      await this.#ctx.link.create(input);
      return this.#ctx.status();
    }
    const { groupName, displayName } = parseInput(inputSchemas.createGroup, input);
    this.#ctx.link.requireNoGroup();
    this.#ctx.requireStorage();
    const { store, genesis, signing } = await GroupAdmin.found(
      this.#ctx.dataDir,
      this.#ctx.privateKey,
      groupName,
      displayName,
      Date.now(),
      predecessor,
    );
    // The log runs before the network does: the first hello is judged by it.
    await this.#ctx.startRoom(store, null, signing);
    await this.#ctx.link.create(input, genesis.groupId);
    return this.#ctx.status();
  }

  async joinGroup(input: JoinGroupInput): Promise<JoinResult> {
    const parsed = parseInput(inputSchemas.joinGroup, input);
    const invite = readInvite(parsed.invite);
    if (!isGroupInvite(invite)) {
      const { reached, problem } = await this.#ctx.link.join(input);
      return { status: this.#ctx.status(), reached, problem, admitted: true };
    }
    // A group that keeps a group log: this laptop is a member once the group has made its join.
    this.#ctx.link.requireNoGroup();
    this.#ctx.requireStorage();
    const { store, join, signing } = await GroupAdmin.prepareJoin(
      this.#ctx.dataDir,
      this.#ctx.privateKey,
      this.#ctx.self,
      invite,
      parsed.displayName,
    );
    const wait = parsed.waitMs ?? 8_000;
    // The log runs before the network does: the first hello is judged by it, and answered with the join.
    await this.#ctx.startRoom(store, join, signing);
    await this.#ctx.link.join({ ...input, waitMs: 0 });
    const end = Date.now() + wait;
    while (
      Date.now() < end &&
      (this.#ctx.room()?.admin.isMember !== true || this.#ctx.members().length === 0)
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    const reached = this.#ctx.members().map((p) => ({ peerId: p, name: this.#ctx.nameOf(p) }));
    if (this.#ctx.room()?.admin.isMember === true && reached.length > 0)
      return { status: this.#ctx.status(), reached, problem: null, admitted: true };
    const met = this.#ctx.applicants().length + reached.length;
    return {
      status: this.#ctx.status(),
      reached,
      admitted: this.#ctx.room()?.admin.isMember === true,
      problem:
        met === 0
          ? this.#ctx.link.nobodyReached(invite.name, invite.addresses, wait, 'keeps trying')
          : `reached ${met} member${met === 1 ? '' : 's'} of "${invite.name}", but the group has not let this laptop in ` +
            `yet (within ${Math.round(wait / 1000)} s): a majority of its members must be online. This laptop keeps asking`,
    };
  }

  async invite(input?: { singleUse?: boolean }): Promise<{ invite: string }> {
    const options = parseInput(inputSchemas.invite, input);
    const group = this.#ctx.room();
    if (group === null) return { invite: this.#ctx.link.invite() };
    // An invite is a change of the log: a node that cannot write takes no part in making it.
    this.#ctx.requireStorage();
    return {
      invite: await group.invite(this.#ctx.link.inviteBase(), Date.now(), options?.singleUse === true),
    };
  }

  async group(): Promise<GroupView> {
    const config = this.#ctx.link.requireGroup();
    const room = this.#ctx.room();
    if (room !== null) return room.view();
    return {
      id: config.group.id,
      name: config.group.name,
      epoch: null,
      members: [],
      deciders: [],
      former: [],
      invites: [],
      history: [],
      self: 'member',
      predecessor: null,
      successor: null,
      removals: [],
    };
  }

  async renameGroup(input: { name: string }): Promise<GroupView> {
    const { name } = parseInput(inputSchemas.renameGroup, input);
    const group = this.#requireGroupLog('it cannot be renamed');
    await group.admin.rename(name);
    this.#ctx.statusChanged();
    return group.admin.view();
  }

  async revokeInvite(input: { invite: string }): Promise<GroupView> {
    const { invite } = parseInput(inputSchemas.revokeInvite, input);
    const group = this.#requireGroupLog('its invites cannot be revoked');
    await group.admin.revoke(invite);
    return group.admin.view();
  }

  async leaveGroup(): Promise<GroupView> {
    const group = this.#requireGroupLog('there is no leaving it but by removing its data directory');
    await group.admin.leave();
    this.#ctx.statusChanged();
    return group.admin.view();
  }

  requestRemoval(input: { member: string }): Promise<GroupView> {
    return this.#removal(input, (group, member) => group.removals.request(member));
  }

  approveRemoval(input: { member: string }): Promise<GroupView> {
    return this.#removal(input, (group, member) => group.removals.approve(member));
  }

  /** Asks or approves a removal; the answer shows it once it is on disk. */
  async #removal(
    input: unknown,
    act: (group: GroupRoom, member: string) => Promise<unknown>,
  ): Promise<GroupView> {
    const { member } = parseInput(inputSchemas.removal, input);
    const group = this.#requireGroupLog('nobody can be removed from it');
    group.admin.requireMember();
    await act(group, member);
    return group.view();
  }

  #requireGroupLog(otherwise: string): GroupRoom {
    this.#ctx.link.requireGroup();
    const room = this.#ctx.room();
    if (room === null)
      throw new SynodError(
        'invalid-input',
        `this group keeps no group log (it was made without one): ${otherwise}`,
      );
    this.#ctx.requireStorage();
    return room;
  }
}
