import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { randomBytes } from 'node:crypto';
import { SynodError, type GroupView } from '../../api/types.ts';
import {
  DEFAULT_INVITE_MS,
  type Genesis,
  type GroupChange,
  type Predecessor,
} from '../../model/group/changes.ts';
import { genesisProblem, isMember, slotConfig, type Epoch } from '../../model/group/epoch.ts';
import type { GroupInvite } from '../../model/invite.ts';
import type { WireMessage } from '../../net/wire.ts';
import type { StorageFs } from '../../storage/index.ts';
import type { Logger } from '../../util/logger.ts';
import { Signing } from '../identity/signing.ts';
import type { GroupDesk } from './group-desk.ts';
import {
  createGenesis,
  createInviteKey,
  groupVerifier,
  inviteSignature,
  signChange,
} from './group-signing.ts';
import { GroupStore } from './group-store.ts';
import type { InviteKeys } from './invite-keys.ts';
import type { Removals } from './removals.ts';
import type { Successor } from './succession.ts';

/** History entries a view carries at most. */
const HISTORY_SHOWN = 200;
/** An open invite is shown again while it stays valid at least this long; then a new one is made. */
export const REUSE_LEFT_MS = 60 * 60_000;

export interface GroupAdminContext {
  readonly self: string;
  readonly signing: Signing;
  readonly store: GroupStore;
  readonly desk: GroupDesk;
  readonly inviteKeys: InviteKeys;
  readonly removals: Removals;
  readonly log: Logger;
  send(to: string, message: WireMessage): void;
  /** The members connected now. */
  members(): readonly string[];
  /** How long a change asked through the API is waited for (default CHANGE_WAIT_MS). */
  readonly changeWaitMs?: number;
}

/**
 * How long a member's own change (an invite, a rename, a revocation, leaving) is waited for before
 * the API answers that the group has not made it yet: without a majority of the log's acceptors
 * online it cannot be made, and a call must not hang for ever.
 */
export const CHANGE_WAIT_MS = 15_000;

/**
 * What a member does with the group log, in people's terms: founding a group, making an invite,
 * renaming, asking to join with an invite and passing on a newcomer's join. Each change is signed by
 * the member it names and made by the group log (src/node/group/group-desk.ts); nothing here decides.
 */
export class GroupAdmin {
  readonly #ctx: GroupAdminContext;
  /** This laptop's own join, signed, until the group has made it a member: sent to each peer met. */
  #ownJoin: GroupChange | null;
  /** Joins passed on to the log, by signature: each is proposed once, however many ask. */
  readonly #joining = new Set<string>();
  /** Where this laptop continues the group, once it started or joined a successor: it takes no more part. */
  continuedIn: Successor | null = null;

  constructor(ctx: GroupAdminContext, ownJoin: GroupChange | null = null) {
    this.#ctx = ctx;
    this.#ownJoin = isMember(ctx.store.head, ctx.self) ? null : ownJoin;
  }

  /** A new group's log: its genesis, signed by its founder, on disk. */
  static async found(
    dir: string,
    privateKey: PrivateKey,
    groupName: string,
    founderName: string,
    now: number,
    predecessor?: Predecessor,
    fs?: StorageFs,
  ): Promise<{ genesis: Genesis; store: GroupStore; signing: Signing }> {
    const { genesis, signing } = createGenesis(privateKey, groupName, founderName, now, predecessor);
    const store = await GroupStore.create(dir, genesis, signing, fs);
    return { genesis, store, signing };
  }

  /**
   * A newcomer's side of an invite: the group's genesis checked (its signature; the invite's decoder
   * checked that the group id names it), the log started from it, and the join signed by this laptop
   * and by the invite's key, to be proposed by the first member it meets.
   */
  static async prepareJoin(
    dir: string,
    privateKey: PrivateKey,
    self: string,
    invite: GroupInvite,
    displayName: string,
    fs?: StorageFs,
  ): Promise<{ store: GroupStore; signing: Signing; join: GroupChange }> {
    const signing = new Signing(invite.id, privateKey);
    const problem = genesisProblem(invite.genesis, groupVerifier(signing));
    if (problem !== null) throw new SynodError('invalid-input', `the invite is not genuine (${problem})`);
    let inviteKey: PrivateKey;
    try {
      inviteKey = privateKeyFromProtobuf(Buffer.from(invite.invite.secret, 'base64url'));
    } catch {
      throw new SynodError(
        'invalid-input',
        'the invite is damaged (its key cannot be read); ask for it again',
      );
    }
    const store =
      (await GroupStore.open(dir, signing, fs)) ??
      (await GroupStore.create(dir, invite.genesis, signing, fs));
    const join = signChange(signing, {
      type: 'join',
      by: self,
      // The epoch the invite was made in: this laptop holds no more of the log yet.
      epoch: invite.invite.epoch,
      name: displayName,
      invite: invite.invite.id,
      inviteSignature: inviteSignature(invite.id, inviteKey, invite.invite.id, self),
    });
    return { store, signing, join };
  }

  /** Where this laptop stands in the newest epoch it holds. */
  get standing(): GroupView['self'] {
    const head = this.#ctx.store.head;
    if (isMember(head, this.#ctx.self)) return 'member';
    const gone = head.departed.findLast((d) => d.peerId === this.#ctx.self);
    return gone === undefined ? 'joining' : gone.how;
  }

  /** Whether this laptop is a member of the group's newest epoch it holds. */
  get isMember(): boolean {
    return isMember(this.#ctx.store.head, this.#ctx.self);
  }

  /**
   * An invite of the group log: the one this member made that is still open, for several newcomers,
   * and valid for at least another REUSE_LEFT_MS, when there is one (the invite page shows the same
   * invite each time it opens); otherwise a new one, valid for a day, with a key of its own whose
   * private half goes into the invite's text only. `singleUse`: always a new one, for one newcomer.
   */
  async invite(now: number, singleUse = false): Promise<GroupInvite['invite']> {
    this.#requireMember();
    const head = this.#ctx.store.head;
    const keys = this.#ctx.inviteKeys;
    if (!singleUse) {
      const open = head.invites
        .filter((i) => i.by === this.#ctx.self && !i.singleUse && i.expiresAt > now + REUSE_LEFT_MS)
        .map((i) => keys.get(i.id))
        .find((k) => k !== undefined);
      if (open !== undefined) return open;
    }
    const { privateKey, key } = await createInviteKey();
    const id = randomBytes(8).toString('hex');
    const made = await this.#propose(
      signChange(this.#ctx.signing, {
        type: 'invite',
        by: this.#ctx.self,
        epoch: head.n,
        invite: id,
        key,
        expiresAt: Math.max(now, head.at) + DEFAULT_INVITE_MS,
        singleUse,
      }),
    );
    const entry = {
      id,
      epoch: made.n,
      secret: Buffer.from(privateKeyToProtobuf(privateKey)).toString('base64url'),
    };
    // On disk before it is shown: the same invite can be shown again, after a restart too.
    await keys.keep(entry, (other) => this.#ctx.store.head.invites.some((i) => i.id === other));
    return entry;
  }

  async rename(name: string): Promise<Epoch> {
    this.#requireMember();
    return this.#propose(
      signChange(this.#ctx.signing, {
        type: 'rename',
        by: this.#ctx.self,
        epoch: this.#ctx.store.head.n,
        name,
      }),
    );
  }

  /** This laptop leaves the group: the group makes the change, after which it is no member. */
  async leave(): Promise<Epoch> {
    this.#requireMember();
    return this.#propose(
      signChange(this.#ctx.signing, { type: 'leave', by: this.#ctx.self, epoch: this.#ctx.store.head.n }),
    );
  }

  /** Ends an open invite (any member may): once made, it admits nobody. */
  async revoke(invite: string): Promise<Epoch> {
    this.#requireMember();
    if (!this.#ctx.store.head.invites.some((i) => i.id === invite))
      throw new SynodError('not-found', `there is no open invite ${invite} (see "synod group")`);
    return this.#propose(
      signChange(this.#ctx.signing, {
        type: 'revoke',
        by: this.#ctx.self,
        epoch: this.#ctx.store.head.n,
        invite,
      }),
    );
  }

  /** A peer asks to join with its own signed join: proposed once, if this laptop is a member. */
  joinRequested(from: string, change: GroupChange): void {
    if (change.type !== 'join' || change.by !== from || !this.isMember) return;
    if (isMember(this.#ctx.store.head, from) || this.#joining.has(change.signature)) return;
    this.#joining.add(change.signature);
    this.#ctx.desk.propose(change).then(
      () => this.#joining.delete(change.signature),
      (error: unknown) => {
        this.#joining.delete(change.signature);
        this.#ctx.log.info('a join was not made', { from, reason: String(error) });
      },
    );
  }

  /** A peer said a valid hello: while this laptop is not a member yet, it asks the peer to propose its join. */
  met(peer: string): void {
    if (this.#ownJoin === null) return;
    if (this.isMember) {
      this.#ownJoin = null;
      return;
    }
    this.#ctx.send(peer, { type: 'group-join', change: this.#ownJoin });
  }

  /** The group as its log has it, for people. */
  view(): GroupView {
    const { store } = this.#ctx;
    const head = store.head;
    const history: GroupView['history'][number][] = [];
    for (let n = head.n - 1; n >= 0 && history.length < HISTORY_SHOWN; n--) {
      const value = store.value(n);
      if (value === undefined) break;
      history.push({
        epoch: n + 1,
        at: value.at,
        by: value.change.by,
        ...describe(value.change, store.epoch(n)),
      });
    }
    const first = store.epoch(0);
    if (history.length < HISTORY_SHOWN && first !== undefined)
      history.push({
        epoch: 0,
        at: first.at,
        by: first.members[0]?.peerId ?? '',
        change: 'founded',
        summary: `${first.members[0]?.name ?? ''} founded "${first.name}"`,
      });
    return {
      id: head.groupId,
      name: head.name,
      epoch: head.n,
      members: head.members.map(({ peerId, name, joinedIn }) => ({ peerId, name, joinedIn })),
      deciders: slotConfig(head).acceptors,
      former: head.departed.map(({ peerId, name, how }) => ({ peerId, name, how })),
      invites: head.invites.map(({ id, by, expiresAt, singleUse, usedBy }) => ({
        id,
        by,
        expiresAt,
        singleUse,
        usedBy: [...usedBy],
      })),
      history,
      self: this.standing,
      predecessor: store.genesis.predecessor ?? null,
      successor: this.continuedIn,
      removals: this.#ctx.removals.pending().map(({ request, needed }) => ({
        target: request.target,
        targetName: nameIn(head, request.target),
        by: request.by,
        approvedBy: [request.by, ...request.approvals.map((a) => a.by)],
        needed,
      })),
    };
  }

  #requireMember(): void {
    if (this.continuedIn !== null)
      throw new SynodError(
        'no-group',
        `this laptop continues this group in "${this.continuedIn.name}": it keeps what it knew here, read-only, ` +
          'and takes part there',
      );
    if (this.isMember) return;
    const self = this.standing;
    throw new SynodError(
      'no-group',
      self === 'removed'
        ? 'the members removed this laptop from the group: it keeps what it knew, and takes no more part'
        : self === 'left'
          ? 'this laptop left the group: it keeps what it knew, and takes no more part'
          : 'this laptop is not a member of the group yet: a member has to be online to let it in',
    );
  }

  /** Throws, saying why, unless this laptop is a member of the group's newest epoch it holds. */
  requireMember(): void {
    this.#requireMember();
  }

  async #propose(change: GroupChange): Promise<Epoch> {
    const made = this.#ctx.desk.propose(change);
    const waitMs = this.#ctx.changeWaitMs ?? CHANGE_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), waitMs);
    });
    try {
      const epoch = await Promise.race([made, late]);
      if (epoch !== null) return epoch;
    } catch (error) {
      throw new SynodError(
        'invalid-input',
        `the group did not make the change: ${String((error as Error).message)}`,
      );
    } finally {
      clearTimeout(timer);
    }
    made.catch((error: unknown) =>
      this.#ctx.log.info('a change asked earlier was not made', { reason: String(error) }),
    );
    throw new SynodError('unreachable', this.#notMadeYet(waitMs));
  }

  /** Why a change was not made in time: whose agreement it needs, and who of them is online. */
  #notMadeYet(waitMs: number): string {
    const head = this.#ctx.store.head;
    const deciders = slotConfig(head).acceptors;
    const online = new Set([this.#ctx.self, ...this.#ctx.members()]);
    const here = deciders.filter((d) => online.has(d)).length;
    const needed = Math.floor(deciders.length / 2) + 1;
    return (
      `the group has not made the change within ${Math.round(waitMs / 1000)} s: it needs ${needed} of its ` +
      `${deciders.length} deciding members online, and ${here} ${here === 1 ? 'is' : 'are'} (see "synod group"). ` +
      'This laptop keeps proposing it while it runs; it is made once enough of them are back'
    );
  }
}

/** A moment as people read it anywhere: "2026-12-08 23:57 UTC". */
function utcMinute(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function nameIn(epoch: Epoch | undefined, peerId: string): string {
  return epoch?.members.find((m) => m.peerId === peerId)?.name ?? peerId.slice(-6);
}

function describe(
  change: GroupChange,
  before: Epoch | undefined,
): { change: GroupView['history'][number]['change']; summary: string } {
  const by = nameIn(before, change.by);
  switch (change.type) {
    case 'invite':
      return {
        change: 'invite',
        summary: `${by} made an invite, valid until ${utcMinute(change.expiresAt)}`,
      };
    case 'join':
      return { change: 'join', summary: `${change.name} joined` };
    case 'rename':
      return { change: 'rename', summary: `${by} renamed the group "${change.name}"` };
    case 'revoke':
      return { change: 'revoke', summary: `${by} revoked an invite` };
    case 'leave':
      return { change: 'leave', summary: `${by} left` };
    case 'remove':
      return {
        change: 'remove',
        summary: `${nameIn(before, change.target)} was removed, asked by ${by} with ${change.approvals.length + 1} approving`,
      };
  }
}
