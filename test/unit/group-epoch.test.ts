import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { describe, it } from 'node:test';
import {
  MAX_INVITE_MS,
  decodeSlotValue,
  encodeSlotValue,
  type GroupChange,
  type SlotValue,
} from '../../src/model/group/changes.ts';
import {
  applyChange,
  changeProblem,
  genesisEpoch,
  genesisProblem,
  MAX_DEPARTURES,
  MAX_GROUP_MEMBERS,
  MAX_INVITES_PER_MEMBER,
  MAX_OPEN_INVITES,
  REPLAY_WINDOW,
  slotConfig,
  timelyProblem,
  type Epoch,
} from '../../src/model/group/epoch.ts';
import {
  approve,
  createGenesis,
  createInviteKey,
  groupVerifier,
  inviteSignature,
  signChange,
  type UnsignedChange,
} from '../../src/node/group/group-signing.ts';
import { Signing } from '../../src/node/identity/signing.ts';

const T0 = 1_800_000_000_000;
const DAY = 24 * 60 * 60_000;

interface Person {
  readonly key: PrivateKey;
  readonly id: string;
}

async function person(): Promise<Person> {
  const key = await generateKeyPair('Ed25519');
  return { key, id: peerIdFromPrivateKey(key).toString() };
}

/** A group under test: its epoch, and helpers that sign and apply changes as its members would. */
class TestGroup {
  epoch: Epoch;
  readonly groupId: string;
  readonly verify;
  at = T0;

  readonly signingOf = (p: Person) => new Signing(this.groupId, p.key);

  constructor(creator: Person) {
    const { genesis, signing } = createGenesis(creator.key, 'Chess club', 'Alice', T0);
    assert.equal(genesisProblem(genesis, groupVerifier(signing)), null);
    this.groupId = genesis.groupId;
    this.epoch = genesisEpoch(genesis);
    this.verify = groupVerifier(signing);
  }

  value(author: Person, change: UnsignedChange | GroupChange): SlotValue {
    this.at += 1_000;
    const signed = 'signature' in change ? change : signChange(this.signingOf(author), change);
    return { slot: this.epoch.n, at: this.at, change: signed as GroupChange };
  }

  problem(author: Person, change: UnsignedChange | GroupChange): string | null {
    return changeProblem(this.epoch, this.value(author, change), this.verify);
  }

  apply(author: Person, change: UnsignedChange | GroupChange): SlotValue {
    const value = this.value(author, change);
    const problem = changeProblem(this.epoch, value, this.verify);
    assert.equal(problem, null, `${change.type}: ${problem}`);
    this.epoch = applyChange(this.epoch, value);
    return value;
  }

  async invite(by: Person, options: { singleUse?: boolean; validMs?: number } = {}) {
    const { privateKey, key } = await createInviteKey();
    const invite = Math.floor(Math.random() * 2 ** 48)
      .toString(16)
      .padStart(16, '0');
    this.apply(by, {
      type: 'invite',
      by: by.id,
      epoch: this.epoch.n,
      invite,
      key,
      expiresAt: this.at + 1_000 + (options.validMs ?? DAY),
      singleUse: options.singleUse ?? true,
    });
    return { invite, privateKey };
  }

  joinChange(newcomer: Person, invite: { invite: string; privateKey: PrivateKey }, name = 'Newcomer') {
    return {
      type: 'join' as const,
      by: newcomer.id,
      epoch: this.epoch.n,
      name,
      invite: invite.invite,
      inviteSignature: inviteSignature(this.groupId, invite.privateKey, invite.invite, newcomer.id),
    };
  }

  async add(by: Person, newcomer: Person): Promise<void> {
    const invite = await this.invite(by);
    this.apply(newcomer, this.joinChange(newcomer, invite));
  }

  removal(by: Person, target: Person, approvers: readonly Person[]): GroupChange {
    const request = signChange(this.signingOf(by), {
      type: 'remove',
      by: by.id,
      epoch: this.epoch.n,
      target: target.id,
      approvals: [],
    });
    return { ...request, approvals: approvers.map((p) => approve(this.signingOf(p), request, p.id)) };
  }
}

function first<T>(list: readonly T[]): T {
  const item = list[0];
  assert.ok(item !== undefined);
  return item;
}

function second<T>(list: readonly T[]): T {
  return first(list.slice(1));
}

async function groupOf(size: number): Promise<{ group: TestGroup; people: Person[] }> {
  const people = await Promise.all(Array.from({ length: size }, person));
  const group = new TestGroup(first(people));
  for (const p of people.slice(1)) await group.add(first(people), p);
  return { group, people };
}

describe('the group log: epochs and their changes', () => {
  it('a genesis is checked against the group id it makes and its creator’s signature', async () => {
    const alice = await person();
    const { genesis, signing } = createGenesis(alice.key, 'Chess club', 'Alice', T0);
    const verify = groupVerifier(signing);
    assert.equal(genesisProblem(genesis, verify), null);
    assert.match(
      genesisProblem({ ...genesis, name: 'Other club' }, verify) ?? '',
      /not the one its group id/,
    );
    const mallory = await person();
    const forged = createGenesis(mallory.key, 'Chess club', 'Alice', T0).genesis;
    assert.match(genesisProblem({ ...forged, creator: alice.id }, verify) ?? '', /group id|signature/);
  });

  it('a successor names the group it continues in its id: changed or removed, the genesis is refused', async () => {
    const alice = await person();
    const predecessor = { groupId: '0123456789abcdef', name: 'Chess club', epoch: 7 };
    const { genesis, signing } = createGenesis(alice.key, 'Chess club', 'Alice', T0, predecessor);
    const verify = groupVerifier(signing);
    assert.equal(genesisProblem(genesis, verify), null);
    assert.deepEqual(genesis.predecessor, predecessor);
    // Another predecessor, another epoch of it, or none: not the group its id names.
    for (const changed of [
      { ...genesis, predecessor: { ...predecessor, groupId: 'fedcba9876543210' } },
      { ...genesis, predecessor: { ...predecessor, epoch: 8 } },
      { ...genesis, predecessor: { ...predecessor, name: 'Go club' } },
      { ...genesis, predecessor: undefined },
    ])
      assert.match(genesisProblem(changed, verify) ?? '', /not the one its group id/);
    // A group without one keeps the id it always had.
    const plain = createGenesis(alice.key, 'Chess club', 'Alice', T0).genesis;
    assert.equal(
      genesisProblem({ ...plain, predecessor }, verify)?.includes('not the one its group id'),
      true,
    );
  });

  it('invites admit whom they are for, and nobody once expired, revoked or used', async () => {
    const { group, people } = await groupOf(2);
    const [alice] = people as [Person, Person];
    const carol = await person();
    const dave = await person();
    const once = await group.invite(alice, { singleUse: true });
    group.apply(carol, group.joinChange(carol, once, 'Carol'));
    assert.deepEqual(
      group.epoch.members.map((m) => m.name),
      ['Alice', 'Newcomer', 'Carol'],
    );
    assert.match(group.problem(dave, group.joinChange(dave, once)) ?? '', /not open \(never made, used/);

    const revoked = await group.invite(alice, { singleUse: false });
    group.apply(alice, { type: 'revoke', by: alice.id, epoch: group.epoch.n, invite: revoked.invite });
    assert.match(group.problem(dave, group.joinChange(dave, revoked)) ?? '', /not open/);

    const short = await group.invite(alice, { validMs: 5_000 });
    group.at += 10_000;
    assert.match(group.problem(dave, group.joinChange(dave, short)) ?? '', /expired|not open/);

    // The invite's key must sign for this very newcomer: a signature for Carol does not admit Dave.
    const open = await group.invite(alice, { singleUse: false });
    const forCarol = group.joinChange(carol, open);
    const stolen = signChange(group.signingOf(dave), { ...forCarol, by: dave.id });
    assert.match(group.problem(dave, stolen) ?? '', /invite's key/);
    // And a made-up invite key signs nothing that counts.
    const made = await createInviteKey();
    assert.match(
      group.problem(dave, group.joinChange(dave, { invite: open.invite, privateKey: made.privateKey })) ?? '',
      /invite's key/,
    );
    group.apply(dave, group.joinChange(dave, open, 'Dave'));
    assert.equal(group.epoch.members.length, 4);
  });

  it('a removal needs a strict majority of the other members; the target’s own word counts for nothing', async () => {
    const { group, people } = await groupOf(5);
    const [a, b, c, d, m] = people as [Person, Person, Person, Person, Person];
    // Alone, a hostile member removes nobody; nor with its target's "approval".
    assert.match(group.problem(m, group.removal(m, a, [])) ?? '', /1 of the 4 other/);
    assert.match(group.problem(m, group.removal(m, a, [a])) ?? '', /own target/);
    // Two of the four others are not a majority of them.
    assert.match(group.problem(a, group.removal(a, m, [b])) ?? '', /2 of the 4 other/);
    // A stranger's approval, a doubled one and a forged one are refused.
    const stranger = await person();
    assert.match(group.problem(a, group.removal(a, m, [b, stranger])) ?? '', /not a member/);
    assert.match(group.problem(a, group.removal(a, m, [b, b])) ?? '', /twice/);
    const request = group.removal(a, m, [b, c]) as Extract<GroupChange, { type: 'remove' }>;
    const forgedApproval = {
      ...request,
      approvals: [first(request.approvals), { by: d.id, signature: second(request.approvals).signature }],
    };
    assert.match(group.problem(a, forgedApproval) ?? '', /not its member/);
    // Three of four: M is removed, whatever M says.
    group.apply(a, group.removal(a, m, [b, c]));
    assert.deepEqual(
      group.epoch.departed.map((x) => [x.peerId, x.how]),
      [[m.id, 'removed']],
    );
    assert.ok(!slotConfig(group.epoch).acceptors.includes(m.id));
    // Done once: the same removal again is refused (M is gone, and the change was made).
    assert.ok(group.problem(a, request) !== null);
  });

  it('a removed member cannot come back with an invite made before its removal; a new invite may re-admit it', async () => {
    const { group, people } = await groupOf(3);
    const [a, b, m] = people as [Person, Person, Person];
    const old = await group.invite(m, { singleUse: false });
    const alicesOld = await group.invite(a, { singleUse: false });
    group.apply(a, group.removal(a, m, [b]));
    // Its own invites went with it; another member's open invite does not admit it either.
    assert.match(group.problem(m, group.joinChange(m, old)) ?? '', /not open/);
    assert.match(group.problem(m, group.joinChange(m, alicesOld)) ?? '', /before its removal/);
    const fresh = await group.invite(a);
    group.apply(m, group.joinChange(m, fresh, 'Mallory again'));
    assert.ok(group.epoch.members.some((x) => x.peerId === m.id));
  });

  it('a change counts once, in the epoch window it was signed for', async () => {
    const { group, people } = await groupOf(2);
    const [a] = people as [Person, Person];
    const rename = signChange(group.signingOf(a), {
      type: 'rename',
      by: a.id,
      epoch: group.epoch.n,
      name: 'Go club',
    });
    group.apply(a, rename);
    assert.equal(group.epoch.name, 'Go club');
    group.apply(a, { type: 'rename', by: a.id, epoch: group.epoch.n, name: 'Chess club' });
    assert.match(group.problem(a, rename) ?? '', /made already/);
    assert.match(
      group.problem(a, { type: 'rename', by: a.id, epoch: group.epoch.n + 1, name: 'Later' }) ?? '',
      /not made yet/,
    );
    for (let i = 0; i < REPLAY_WINDOW; i++)
      group.apply(a, { type: 'rename', by: a.id, epoch: group.epoch.n, name: `Club ${i}` });
    assert.match(group.problem(a, rename) ?? '', /epochs ago/);
    // A value for another slot, or dated before its epoch, is refused.
    const value = group.value(a, { type: 'rename', by: a.id, epoch: group.epoch.n, name: 'X' });
    assert.match(changeProblem(group.epoch, { ...value, slot: value.slot + 1 }, group.verify) ?? '', /slot/);
    assert.match(
      changeProblem(group.epoch, { ...value, at: group.epoch.at - 1 }, group.verify) ?? '',
      /dated before/,
    );
    assert.match(timelyProblem({ ...value, at: T0 }, T0 - 60_000) ?? '', /ahead/);
    assert.equal(timelyProblem(value, value.at), null);
  });

  it('only members change the group; the last member cannot leave; a leaver’s invites go with it', async () => {
    const { group, people } = await groupOf(2);
    const [a, b] = people as [Person, Person];
    const stranger = await person();
    assert.match(
      group.problem(stranger, { type: 'rename', by: stranger.id, epoch: group.epoch.n, name: 'Mine' }) ?? '',
      /not a member/,
    );
    // Signed by someone other than the member it names.
    const forged = signChange(group.signingOf(stranger), {
      type: 'rename',
      by: a.id,
      epoch: group.epoch.n,
      name: 'Mine',
    });
    assert.match(group.problem(a, forged) ?? '', /valid signature/);
    await group.invite(b);
    assert.equal(group.epoch.invites.length, 1);
    group.apply(b, { type: 'leave', by: b.id, epoch: group.epoch.n });
    assert.equal(group.epoch.invites.length, 0);
    assert.match(group.problem(a, { type: 'leave', by: a.id, epoch: group.epoch.n }) ?? '', /last member/);
  });

  it('the log’s acceptors are the first members to join, at most seven', async () => {
    const { group, people } = await groupOf(9);
    const config = slotConfig(group.epoch);
    assert.deepEqual(
      config.acceptors,
      people.slice(0, 7).map((p) => p.id),
    );
    assert.deepEqual(
      config.learners,
      people.slice(7).map((p) => p.id),
    );
    group.apply(second(people), { type: 'leave', by: second(people).id, epoch: group.epoch.n });
    assert.deepEqual(
      slotConfig(group.epoch).acceptors,
      [first(people), ...people.slice(2, 8)].map((p) => p.id),
    );
  });

  it('an old removal that falls off the list still keeps its member out', async () => {
    const { group, people } = await groupOf(3);
    const [a, b, m] = people as [Person, Person, Person];
    const before = await group.invite(a, { singleUse: false, validMs: 20 * DAY });
    group.apply(a, group.removal(a, m, [b]));
    // Fill the departures with others who join and leave.
    for (let i = 0; i < MAX_DEPARTURES; i++) {
      const p = await person();
      const inv = await group.invite(a);
      group.apply(p, group.joinChange(p, inv));
      group.apply(p, { type: 'leave', by: p.id, epoch: group.epoch.n });
    }
    assert.ok(!group.epoch.departed.some((d) => d.peerId === m.id));
    assert.match(group.problem(m, group.joinChange(m, before)) ?? '', /not open/);
  });

  it('slot values from the wire: anything that is not one is refused, never thrown', async () => {
    const { group, people } = await groupOf(1);
    const value = group.value(first(people), { type: 'rename', by: first(people).id, epoch: 0, name: 'Y' });
    assert.deepEqual(decodeSlotValue(encodeSlotValue(value)), value);
    for (const bad of [
      '',
      'group1:',
      'group1:{',
      'group1:null',
      'close:x',
      `group1:${JSON.stringify({ ...value, slot: -1 })}`,
    ])
      assert.equal(decodeSlotValue(bad), null, bad);
    const rtl = { ...value, change: { ...value.change, name: '\u202eevil' } };
    assert.equal(decodeSlotValue(encodeSlotValue(rtl as SlotValue)), null);
    assert.equal(decodeSlotValue(`group1:${' '.repeat(70_000)}{}`), null);
  });
});

describe('the group log’s rules at their very boundaries', () => {
  /** A value of `author`'s change for the open slot, dated exactly `at`. */
  const at = (group: TestGroup, author: Person, change: UnsignedChange, when: number): SlotValue => ({
    slot: group.epoch.n,
    at: when,
    change: signChange(group.signingOf(author), change) as GroupChange,
  });

  it('an invite admits until the millisecond before its expiry, and an expired one is no longer listed', async () => {
    const { group, people } = await groupOf(1);
    const alice = first(people);
    const invite = await group.invite(alice, { singleUse: false, validMs: 60_000 });
    const expiresAt = group.epoch.invites.find((i) => i.id === invite.invite)?.expiresAt ?? 0;
    const dave = await person();
    const join = group.joinChange(dave, invite);
    assert.match(changeProblem(group.epoch, at(group, dave, join, expiresAt), group.verify) ?? '', /expired/);
    assert.equal(changeProblem(group.epoch, at(group, dave, join, expiresAt - 1), group.verify), null);
    // Any change made after it leaves it out of the next epoch.
    const later = applyChange(
      group.epoch,
      at(group, alice, { type: 'rename', by: alice.id, epoch: group.epoch.n, name: 'Later' }, expiresAt),
    );
    assert.deepEqual(later.invites, []);
    const before = applyChange(
      group.epoch,
      at(group, alice, { type: 'rename', by: alice.id, epoch: group.epoch.n, name: 'Sooner' }, expiresAt - 1),
    );
    assert.equal(before.invites.length, 1);
  });

  it('an invite lives more than no time and at most 30 days', async () => {
    const { group, people } = await groupOf(1);
    const alice = first(people);
    const { key } = await createInviteKey();
    const now = group.epoch.at + 1_000;
    const invite = (expiresAt: number, id: string): UnsignedChange => ({
      type: 'invite',
      by: alice.id,
      epoch: group.epoch.n,
      invite: id,
      key,
      expiresAt,
      singleUse: true,
    });
    const problem = (expiresAt: number, id: string) =>
      changeProblem(group.epoch, at(group, alice, invite(expiresAt, id), now), group.verify);
    assert.match(problem(now, '0000000000000001') ?? '', /expired already/);
    assert.equal(problem(now + 1, '0000000000000002'), null);
    assert.equal(problem(now + MAX_INVITE_MS, '0000000000000003'), null);
    assert.match(problem(now + MAX_INVITE_MS + 1, '0000000000000004') ?? '', /30 days/);
  });

  it(`a change signed ${REPLAY_WINDOW} epochs ago still counts; one more, and it does not`, async () => {
    const { group, people } = await groupOf(1);
    const alice = first(people);
    const old = signChange(group.signingOf(alice), { type: 'rename', by: alice.id, epoch: 0, name: 'Old' });
    for (let i = 0; i < REPLAY_WINDOW; i++)
      group.apply(alice, { type: 'rename', by: alice.id, epoch: group.epoch.n, name: `Club ${i}` });
    assert.equal(group.epoch.n, REPLAY_WINDOW);
    assert.equal(group.problem(alice, old), null);
    group.apply(alice, { type: 'rename', by: alice.id, epoch: group.epoch.n, name: 'One more' });
    assert.match(group.problem(alice, old) ?? '', /epochs ago/);
  });

  it('a removal asked before its target joined is refused (it was no request to remove that member)', async () => {
    const { group, people } = await groupOf(3);
    const [a, b] = people as [Person, Person, Person];
    const late = await person();
    const asked = group.removal(a, late, []);
    await group.add(a, late);
    const approved = { ...asked, approvals: [] };
    assert.match(group.problem(a, approved) ?? '', /before its target joined/);
    assert.equal(group.problem(a, group.removal(a, late, [b])), null, 'asked after it joined: taken');
  });

  it(`a member keeps ${MAX_INVITES_PER_MEMBER} invites open, and the group ${MAX_OPEN_INVITES}`, async () => {
    const { group, people } = await groupOf(9);
    const [a] = people as [Person];
    for (let i = 0; i < MAX_INVITES_PER_MEMBER; i++) await group.invite(a);
    const { key } = await createInviteKey();
    const one = (by: Person, id: string): UnsignedChange => ({
      type: 'invite',
      by: by.id,
      epoch: group.epoch.n,
      invite: id,
      key,
      expiresAt: group.at + DAY,
      singleUse: true,
    });
    assert.match(group.problem(a, one(a, 'aaaaaaaaaaaaaaaa')) ?? '', /at most 8 invites/);
    for (const p of people.slice(1, MAX_OPEN_INVITES / MAX_INVITES_PER_MEMBER))
      for (let i = 0; i < MAX_INVITES_PER_MEMBER; i++) await group.invite(p);
    assert.equal(group.epoch.invites.length, MAX_OPEN_INVITES);
    const ninth = people[MAX_OPEN_INVITES / MAX_INVITES_PER_MEMBER] as Person;
    assert.match(group.problem(ninth, one(ninth, 'bbbbbbbbbbbbbbbb')) ?? '', /64 invites are open/);
  });

  it(`a group has at most ${MAX_GROUP_MEMBERS} members`, async () => {
    const { group, people } = await groupOf(1);
    const alice = first(people);
    const invite = await group.invite(alice, { singleUse: false, validMs: 20 * DAY });
    while (group.epoch.members.length < MAX_GROUP_MEMBERS) {
      const p = await person();
      group.apply(p, group.joinChange(p, invite));
    }
    const one = await person();
    assert.match(group.problem(one, group.joinChange(one, invite)) ?? '', /256 members already/);
  });
});
