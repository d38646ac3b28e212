import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MemberAnnouncement } from '../../src/net/wire.ts';
import { MAX_MEMBERS, MemberRegistry, STALE_MEMBER_MS } from '../../src/node/members/members.ts';
import { isDialable, MAX_HINTS, Membership } from '../../src/node/members/membership.ts';
import { Signing } from '../../src/node/identity/signing.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const GROUP = '0123456789abcdef';

interface Identity {
  readonly id: string;
  readonly signing: Signing;
}

async function identity(): Promise<Identity> {
  const key = await generateKeyPair('Ed25519');
  return { id: peerIdFromPrivateKey(key).toString(), signing: new Signing(GROUP, key) };
}

function record(who: Identity, port: number | null, seq: number, name = 'Bob'): MemberAnnouncement {
  const addresses = port === null ? [] : [`/ip4/10.0.0.2/tcp/${port}/p2p/${who.id}`];
  const fields = { peerId: who.id, name, addresses, seq };
  return { ...fields, signature: who.signing.sign({ kind: 'member', ...fields }) };
}

const self = await identity();
const bob = await identity();

async function membership(now = 1_000, me: Identity = self): Promise<Membership> {
  const dir = await mkdtemp(join(tmpdir(), 'synod-membership-'));
  dirs.push(dir);
  return new Membership(await MemberRegistry.load(dir), me.id, now, () => me.signing);
}

describe('membership: signed records', () => {
  it('a hello with its own signed record makes a member; one with another’s record, or forged, does not', async () => {
    const m = await membership();
    assert.deepEqual(m.hello(bob.id, record(bob, 4001, 10), 1), { changed: true });
    assert.equal(m.registry.get(bob.id)?.online, true);
    const carol = await identity();
    assert.match(
      (m.hello(carol.id, record(bob, 4001, 11), 2) as { problem: string }).problem,
      /another member's record/,
    );
    const forged = { ...record(bob, 4002, 12), peerId: carol.id, addresses: [] };
    assert.match((m.hello(carol.id, forged, 3) as { problem: string }).problem, /signature/);
    assert.equal(m.registry.get(carol.id), undefined);
  });

  it('takes a newer record of a member, and never lets an older one flip it back', async () => {
    const m = await membership();
    m.hello(bob.id, record(bob, 4001, 10), 1);
    assert.deepEqual(m.receive([record(bob, 4002, 20)], 2).changed, [bob.id], 'Bob restarted on a new port');
    // Hearsay from a member that still holds Bob's old record changes nothing, however often it comes.
    for (let i = 0; i < 3; i++) assert.deepEqual(m.receive([record(bob, 4001, 10)], 3).changed, []);
    assert.deepEqual(m.registry.get(bob.id)?.addresses, [`/ip4/10.0.0.2/tcp/4002/p2p/${bob.id}`]);
    assert.deepEqual(m.receive([record(bob, 4002, 20)], 4).changed, [], 'a repeat is no news');
  });

  it('refuses records changed by whoever passes them on, and addresses that are not plain TCP of their owner', async () => {
    const m = await membership();
    m.hello(bob.id, record(bob, 4001, 10), 1);
    const carol = await identity();
    const renamed = { ...record(bob, 4001, 11), name: 'Mallory' };
    const victim = `/ip4/10.0.0.9/tcp/80/p2p/${carol.id}`;
    const elsewhere = { ...record(bob, null, 12), addresses: [victim] };
    const fields = {
      peerId: bob.id,
      name: 'Bob',
      addresses: [`/dns4/evil.example/tcp/80/p2p/${bob.id}`],
      seq: 13,
    };
    const dns = { ...fields, signature: bob.signing.sign({ kind: 'member', ...fields }) };
    const result = m.receive([elsewhere, dns, renamed], 2);
    assert.equal(result.refused, 3);
    assert.equal(result.forgery, true);
    assert.deepEqual(result.changed, []);
    assert.equal(m.registry.get(bob.id)?.name, 'Bob');
    // A forged record ends the message: what follows it is not checked (each check costs a signature).
    const first = m.receive([renamed, elsewhere, dns], 3);
    assert.deepEqual([first.refused, first.forgery], [1, true]);
  });

  it('hearsay never makes members: 300 invented identities are at most 64 addresses to dial, and none is passed on', async () => {
    const m = await membership();
    const invented = await Promise.all(Array.from({ length: 300 }, () => identity()));
    const result = m.receive(
      invented.map((who, i) => record(who, 5000 + i, 1, `fake ${i}`)),
      1,
    );
    assert.deepEqual(result.changed, []);
    assert.equal(m.registry.size, 0, 'no member');
    assert.equal([...m.hints()].length, MAX_HINTS);
    assert.ok(
      m.announcements('Me', []).every((a) => a.peerId === self.id),
      'hearsay is not gossiped',
    );
    // One of them connects and says hello: now it is a member.
    const real = invented[299] as Identity;
    m.hello(real.id, record(real, 5299, 2, 'Real'), 2);
    assert.equal(m.registry.get(real.id)?.name, 'Real');
  });

  it('two members with different views converge on the newest record and then stay quiet', async () => {
    const a = await membership();
    const b = await membership();
    a.hello(bob.id, record(bob, 4001, 10), 1);
    b.hello(bob.id, record(bob, 4002, 20), 1);
    let messages = 0;
    let pending: [Membership, Membership][] = [
      [a, b],
      [b, a],
    ];
    while (pending.length > 0 && messages < 100) {
      const next: [Membership, Membership][] = [];
      for (const [sender, receiver] of pending) {
        messages++;
        const { changed } = receiver.receive(sender.announcements('x', []).slice(1), 2);
        if (changed.length > 0) next.push([receiver, sender]);
      }
      pending = next;
    }
    assert.ok(messages <= 4, `gossip died out after ${messages} messages`);
    for (const m of [a, b]) assert.equal(m.registry.get(bob.id)?.seq, 20);
  });

  it('its own record coming back is no news; only a newer one (a clock that went back) is', async () => {
    const m = await membership(500);
    const own = (seq: number) => record(self, null, seq, 'Me');
    assert.equal(m.receive([own(500)], 1).selfOutdated, false);
    assert.equal(m.receive([own(400)], 1).selfOutdated, false);
    assert.equal(m.receive([own(900)], 1).selfOutdated, true);
    assert.ok(m.ownSeq > 900);
    assert.equal(m.announcements('Me', [])[0]?.seq, m.ownSeq);
  });

  it('a full member list refuses newcomers: members who were there first are never pushed out, and only one away for 30 days makes room', async () => {
    const m = await membership();
    const members = await Promise.all(Array.from({ length: MAX_MEMBERS }, () => identity()));
    members.forEach((who, i) => m.hello(who.id, record(who, 6000 + i, 1), 10 + i));
    assert.equal(m.registry.size, MAX_MEMBERS);
    const late = await identity();
    assert.match((m.hello(late.id, record(late, 7000, 1), 1_000) as { problem: string }).problem, /full/);
    assert.equal(m.registry.get(late.id), undefined, 'everyone is online: no room');
    const first = members[0] as Identity;
    m.registry.upsert(first.id, { online: false }, 2_000);
    const dayMs = 24 * 60 * 60_000;
    assert.match(
      (m.hello(late.id, record(late, 7000, 1), 2_000 + 29 * dayMs) as { problem: string }).problem,
      /full/,
      'a member away for 29 days keeps its place',
    );
    assert.ok(m.registry.get(first.id) !== undefined);
    m.hello(late.id, record(late, 7000, 1), 2_001 + STALE_MEMBER_MS);
    assert.equal(m.registry.get(late.id)?.online, true);
    assert.equal(m.registry.get(first.id), undefined, 'the one away for 30 days made room');
  });
});

describe('addresses Synod dials', () => {
  it('only /ip4 or /ip6, /tcp and /p2p: no names to resolve, no Unix sockets, no relays', () => {
    const id = self.id;
    assert.ok(isDialable(`/ip4/192.168.1.20/tcp/4001/p2p/${id}`));
    assert.ok(isDialable(`/ip6/::1/tcp/4001/p2p/${id}`));
    for (const bad of [
      `/dns4/example.com/tcp/4001/p2p/${id}`,
      `/unix/tmp%2Fsocket/p2p/${id}`,
      `/ip4/192.168.1.20/tcp/4001`,
      `/ip4/192.168.1.20/udp/4001/p2p/${id}`,
      `/ip4/192.168.1.20/tcp/4001/p2p/${id}/p2p-circuit/p2p/${id}`,
      'not an address',
    ]) {
      assert.equal(isDialable(bad), false, bad);
    }
  });
});
