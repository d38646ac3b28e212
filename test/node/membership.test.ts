import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_MEMBERS, MemberRegistry } from '../../src/node/members.ts';
import { Membership } from '../../src/node/membership.ts';
import type { MemberAnnouncement } from '../../src/net/wire.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const SELF = '12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
const BOB = '12D3KooWPRYdAqXmTzhjoB5hEq4uWWzCXZSp3QyEKvRXJd4iTEbJ';

function bob(port: number, seq: number): MemberAnnouncement {
  return { peerId: BOB, name: 'Bob', addresses: [`/ip4/10.0.0.2/tcp/${port}/p2p/${BOB}`], seq };
}

async function membership(now = 1_000): Promise<Membership> {
  const dir = await mkdtemp(join(tmpdir(), 'synod-membership-'));
  dirs.push(dir);
  return new Membership(await MemberRegistry.load(dir), SELF, now);
}

describe('membership gossip', () => {
  it('takes a newer record, and never lets an older one flip it back', async () => {
    const m = await membership();
    assert.deepEqual(m.receive([bob(4001, 10)], 1).changed, [BOB]);
    assert.deepEqual(m.receive([bob(4002, 20)], 2).changed, [BOB], 'Bob restarted on a new port');
    // Hearsay from a member that still holds Bob's old record changes nothing, however often it comes.
    for (let i = 0; i < 3; i++) assert.deepEqual(m.receive([bob(4001, 10)], 3).changed, []);
    assert.deepEqual(m.registry.get(BOB)?.addresses, [`/ip4/10.0.0.2/tcp/4002/p2p/${BOB}`]);
    assert.deepEqual(m.receive([bob(4002, 20)], 4).changed, [], 'a repeat is no news');
  });

  it('two members with different views converge on the newest record and then stay quiet', async () => {
    const a = await membership();
    const b = await membership();
    a.receive([bob(4001, 10)], 1);
    b.receive([bob(4002, 20)], 1);
    // Each passes on whatever changed; count the messages until nothing is news any more.
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
    for (const m of [a, b]) assert.equal(m.registry.get(BOB)?.seq, 20);
  });

  it('its own record coming back is no news; only a newer one (a clock that went back) is', async () => {
    const m = await membership(500);
    const self = (seq: number): MemberAnnouncement => ({ peerId: SELF, name: 'Me', addresses: [], seq });
    assert.equal(m.receive([self(500)], 1).selfOutdated, false);
    assert.equal(m.receive([self(400)], 1).selfOutdated, false);
    assert.equal(m.receive([self(900)], 1).selfOutdated, true);
    assert.ok(m.ownSeq > 900);
    assert.equal(m.announcements('Me', [])[0]?.seq, m.ownSeq);
  });

  it('keeps at most MAX_MEMBERS members, however many are announced', async () => {
    const m = await membership();
    const many = Array.from({ length: MAX_MEMBERS + 50 }, (_, i) => ({
      peerId: `12D3KooW${String(i).padStart(44, 'A')}`,
      name: `m${i}`,
      addresses: [],
      seq: 1,
    }));
    m.receive(many.slice(0, 200), 1);
    m.receive(many.slice(200), 1);
    assert.equal(m.registry.size, MAX_MEMBERS);
  });
});
