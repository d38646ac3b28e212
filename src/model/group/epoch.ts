import { LIMITS } from '../limits.ts';
import {
  approvalStatement,
  changeStatement,
  genesisId,
  genesisStatement,
  inviteUseStatement,
  MAX_INVITE_MS,
  type Genesis,
  type GroupStatement,
  type SlotValue,
} from './changes.ts';

/*
 * The group as of one epoch, and how a chosen change makes the next. Everything here is a pure
 * function of the log (the genesis and the chosen values in slot order), so every member that holds
 * the same log holds the same epoch. Only `timelyProblem` reads a clock: acceptors use it, learners
 * (who take a value on its certificate) never do.
 */

export interface EpochMember {
  readonly peerId: string;
  /** The name it joined with (its member record carries the current one). */
  readonly name: string;
  /** The epoch its joining made (0: the group's creator). */
  readonly joinedIn: number;
}

export interface EpochInvite {
  readonly id: string;
  readonly by: string;
  /** The invite's own public key (as a peer id): a join carries its signature. */
  readonly key: string;
  readonly createdIn: number;
  readonly expiresAt: number;
  readonly singleUse: boolean;
  /** Who joined with it. */
  readonly usedBy: readonly string[];
}

export interface Departure {
  readonly peerId: string;
  readonly name: string;
  readonly how: 'left' | 'removed';
  /** The epoch that made it. */
  readonly in: number;
}

export interface Epoch {
  readonly groupId: string;
  readonly n: number;
  readonly name: string;
  /** When it was made (its proposer's clock, checked by its acceptors). */
  readonly at: number;
  /** In the order they joined: the first ones hold the group log's acceptor seats. */
  readonly members: readonly EpochMember[];
  /** Invites that can still admit someone: not expired at `at`, not revoked, not used if single-use. */
  readonly invites: readonly EpochInvite[];
  /** Who left or was removed, newest last (MAX_DEPARTURES kept). */
  readonly departed: readonly Departure[];
  /** The signatures of the changes of the last REPLAY_WINDOW epochs, with the epoch each made. */
  readonly recent: readonly { readonly signature: string; readonly n: number }[];
}

/** Checks a signature: by a member (its peer id) or by an invite's key (written as a peer id). */
export type GroupVerifier = (signer: string, statement: GroupStatement, signature: string) => boolean;

/** A change signed in epoch r is valid up to the slot of epoch r + REPLAY_WINDOW, and only once. */
export const REPLAY_WINDOW = 32;
/** Members of one group (with LIMITS.maxVoters, every member votes). */
export const MAX_GROUP_MEMBERS = LIMITS.maxVoters;
/** Invites listed at once, and per member. */
export const MAX_OPEN_INVITES = 64;
export const MAX_INVITES_PER_MEMBER = 8;
export const MAX_DEPARTURES = 256;
/** The group log's acceptors: the members who joined first. */
export const GROUP_LOG_ACCEPTORS = LIMITS.defaultAcceptors;
/** How far ahead of an acceptor's clock a change may be dated (as for closes). */
export const MAX_CHANGE_AHEAD_MS = 30_000;

export function genesisEpoch(genesis: Genesis): Epoch {
  return {
    groupId: genesis.groupId,
    n: 0,
    name: genesis.name,
    at: genesis.createdAt,
    members: [{ peerId: genesis.creator, name: genesis.creatorName, joinedIn: 0 }],
    invites: [],
    departed: [],
    recent: [],
  };
}

/** Why a genesis is not the one its group id names, or not signed by its creator; null when it holds. */
export function genesisProblem(genesis: Genesis, verify: GroupVerifier): string | null {
  if (genesisId(genesis) !== genesis.groupId) return 'a genesis that is not the one its group id names';
  const { signature, ...fields } = genesis;
  if (!verify(genesis.creator, genesisStatement(fields), signature))
    return 'a genesis without a valid signature of its creator';
  return null;
}

export function isMember(epoch: Epoch, peerId: string): boolean {
  return epoch.members.some((m) => m.peerId === peerId);
}

/** The Paxos configuration of slot `epoch.n`: the first members to join accept, the others learn. */
export function slotConfig(epoch: Epoch): {
  acceptors: string[];
  learners: string[];
  firstProposer: null;
} {
  const ids = epoch.members.map((m) => m.peerId);
  return {
    acceptors: ids.slice(0, GROUP_LOG_ACCEPTORS),
    learners: ids.slice(GROUP_LOG_ACCEPTORS),
    firstProposer: null,
  };
}

/** The Paxos decision of slot n (the change that makes epoch n + 1). */
export function slotDecision(n: number): string {
  return `group:${n}`;
}

/** The slot a decision id names, or null when it is not a slot of the group log. */
export function slotOf(decision: string): number | null {
  const match = /^group:(0|[1-9][0-9]{0,14})$/.exec(decision);
  return match === null ? null : Number(match[1]);
}

/** The invites of `epoch` that can still admit someone at `at`. */
export function usableInvite(epoch: Epoch, id: string, at: number): EpochInvite | string {
  const invite = epoch.invites.find((i) => i.id === id);
  if (invite === undefined) return 'an invite that is not open (never made, used, revoked, or expired)';
  if (invite.expiresAt <= at) return 'an invite that has expired';
  return invite;
}

/**
 * Why `value` cannot follow `epoch`, or null when it can. Deterministic: every member that checks the
 * same value against the same epoch gets the same answer (acceptors add `timelyProblem`).
 */
export function changeProblem(epoch: Epoch, value: SlotValue, verify: GroupVerifier): string | null {
  const { change } = value;
  if (value.slot !== epoch.n) return `a change for slot ${value.slot} where slot ${epoch.n} is open`;
  if (value.at < epoch.at) return 'a change dated before the epoch it follows';
  if (change.epoch > epoch.n) return `a change signed in epoch ${change.epoch}, which is not made yet`;
  if (change.epoch < epoch.n - REPLAY_WINDOW) return `a change signed ${epoch.n - change.epoch} epochs ago`;
  if (epoch.recent.some((r) => r.signature === change.signature)) return 'a change made already';
  const problem = typeProblem(epoch, value, verify);
  if (problem !== null) return problem;
  if (!verify(change.by, changeStatement(change), change.signature))
    return 'a change without a valid signature of the member it names';
  return null;
}

function typeProblem(epoch: Epoch, value: SlotValue, verify: GroupVerifier): string | null {
  const { change } = value;
  const member = isMember(epoch, change.by);
  switch (change.type) {
    case 'rename':
      return member ? null : 'a rename by someone who is not a member';
    case 'leave':
      if (!member) return 'a leave by someone who is not a member';
      return epoch.members.length === 1 ? 'the last member of a group cannot leave it' : null;
    case 'invite': {
      if (!member) return 'an invite by someone who is not a member';
      if (epoch.invites.some((i) => i.id === change.invite)) return 'an invite whose id is taken';
      if (epoch.invites.length >= MAX_OPEN_INVITES) return `${MAX_OPEN_INVITES} invites are open already`;
      if (epoch.invites.filter((i) => i.by === change.by).length >= MAX_INVITES_PER_MEMBER)
        return `a member has at most ${MAX_INVITES_PER_MEMBER} invites open`;
      if (change.expiresAt <= value.at) return 'an invite that has expired already';
      if (change.expiresAt > value.at + MAX_INVITE_MS) return 'an invite valid for more than 30 days';
      return null;
    }
    case 'revoke':
      if (!member) return 'a revoke by someone who is not a member';
      return epoch.invites.some((i) => i.id === change.invite)
        ? null
        : 'a revoke of an invite that is not open';
    case 'join': {
      if (member) return 'a join by someone who is a member already';
      if (epoch.members.length >= MAX_GROUP_MEMBERS)
        return `the group has ${MAX_GROUP_MEMBERS} members already`;
      const invite = usableInvite(epoch, change.invite, value.at);
      if (typeof invite === 'string') return invite;
      const removed = epoch.departed.findLast((d) => d.peerId === change.by && d.how === 'removed');
      if (removed !== undefined && invite.createdIn <= removed.in)
        return 'a removed member, with an invite made before its removal';
      if (
        !verify(invite.key, inviteUseStatement(epoch.groupId, invite.id, change.by), change.inviteSignature)
      )
        return "a join without a valid signature of its invite's key";
      return null;
    }
    case 'remove': {
      if (!member) return 'a removal asked by someone who is not a member';
      if (change.target === change.by) return 'a member asking to remove itself (it leaves instead)';
      const target = epoch.members.find((m) => m.peerId === change.target);
      if (target === undefined) return 'a removal of someone who is not a member';
      if (target.joinedIn > change.epoch) return 'a removal asked before its target joined';
      const approvers = new Set([change.by]);
      const statement = approvalStatement(change);
      for (const approval of change.approvals) {
        if (approval.by === change.target) return 'a removal approved by its own target';
        if (!isMember(epoch, approval.by)) return 'a removal approved by someone who is not a member';
        if (approvers.has(approval.by)) return 'a removal approved twice by one member';
        if (!verify(approval.by, statement, approval.signature))
          return 'a removal with an approval that is not its member’s';
        approvers.add(approval.by);
      }
      const others = epoch.members.length - 1;
      if (approvers.size * 2 <= others)
        return `a removal approved by ${approvers.size} of the ${others} other members (a majority is needed)`;
      return null;
    }
  }
}

/** Why an acceptor, by its own clock, does not accept `value` yet (dated ahead of it); null: it may. */
export function timelyProblem(value: SlotValue, now: number): string | null {
  if (value.at > now + MAX_CHANGE_AHEAD_MS)
    return `a change dated ${Math.round((value.at - now) / 1000)} s ahead of this node's clock`;
  return null;
}

/** Epoch n + 1: `epoch` with the chosen `value` applied (which changeProblem has passed). */
export function applyChange(epoch: Epoch, value: SlotValue): Epoch {
  const { change, at } = value;
  const n = epoch.n + 1;
  let { name, members, invites, departed } = epoch;
  const depart = (peerId: string, how: Departure['how']) => {
    const who = members.find((m) => m.peerId === peerId);
    members = members.filter((m) => m.peerId !== peerId);
    // What the departed member made can no longer admit anyone: it may keep the invites' secrets.
    invites = invites.filter((i) => i.by !== peerId);
    departed = [...departed, { peerId, name: who?.name ?? '', how, in: n }];
  };
  switch (change.type) {
    case 'rename':
      name = change.name;
      break;
    case 'leave':
      depart(change.by, 'left');
      break;
    case 'invite':
      invites = [
        ...invites,
        {
          id: change.invite,
          by: change.by,
          key: change.key,
          createdIn: n,
          expiresAt: change.expiresAt,
          singleUse: change.singleUse,
          usedBy: [],
        },
      ];
      break;
    case 'revoke':
      invites = invites.filter((i) => i.id !== change.invite);
      break;
    case 'join':
      members = [...members, { peerId: change.by, name: change.name, joinedIn: n }];
      // A single-use invite is done (the log's join says who used it); another lists its users.
      invites = invites.flatMap((i) =>
        i.id !== change.invite ? [i] : i.singleUse ? [] : [{ ...i, usedBy: [...i.usedBy, change.by] }],
      );
      break;
    case 'remove':
      depart(change.target, 'removed');
      break;
  }
  if (departed.length > MAX_DEPARTURES) {
    const dropped = departed.slice(0, departed.length - MAX_DEPARTURES);
    departed = departed.slice(-MAX_DEPARTURES);
    // A removal no longer listed must still keep its member out: only invites made after it stay.
    const after = Math.max(...dropped.map((d) => d.in));
    invites = invites.filter((i) => i.createdIn > after);
  }
  return {
    groupId: epoch.groupId,
    n,
    name,
    at,
    members,
    invites: invites.filter((i) => i.expiresAt > at),
    departed,
    recent: [...epoch.recent.filter((r) => r.n > n - REPLAY_WINDOW), { signature: change.signature, n }],
  };
}
