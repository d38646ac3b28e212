import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemberRegistry } from '../../src/node/members/members.ts';

const peer = '12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
const address = `/ip4/10.0.0.2/tcp/4001/p2p/${peer}`;

describe('member registry', () => {
  it('reports a change only for news, so that gossip about members dies out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synod-members-'));
    try {
      const members = await MemberRegistry.load(dir);
      assert.equal(members.upsert(peer, { name: 'Bob', addresses: [address] }, 1), true);
      assert.equal(
        members.upsert(peer, { name: 'Bob', addresses: [address] }, 2),
        false,
        'the same news again',
      );
      assert.equal(members.upsert(peer, { online: true }, 3), true);
      assert.equal(members.upsert(peer, { name: 'Bob', addresses: [address] }, 4), false, 'while online too');
      assert.equal(members.upsert(peer, { online: true }, 5), false);
      assert.equal(members.get(peer)?.lastSeen, 3, 'last seen is when it connected…');
      assert.equal(members.upsert(peer, { online: false }, 9), true);
      assert.equal(members.get(peer)?.lastSeen, 9, '…or disconnected');
      await members.flush();
      const reloaded = await MemberRegistry.load(dir);
      assert.deepEqual(reloaded.get(peer), {
        peerId: peer,
        name: 'Bob',
        addresses: [address],
        lastSeen: 9,
        firstSeen: 1,
        online: false,
        seq: 0,
        signature: null,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a member connected when this node crashed was last seen when the file was last written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synod-members-'));
    try {
      const members = await MemberRegistry.load(dir);
      members.upsert(peer, { name: 'Bob', addresses: [address], online: true }, 3);
      const before = Date.now();
      await members.flush(); // what the periodic write does while Bob is connected
      // No disconnection is noted: the process dies here. The next start:
      const reloaded = await MemberRegistry.load(dir);
      const bob = reloaded.get(peer);
      assert.equal(bob?.online, false);
      assert.ok(
        (bob.lastSeen ?? 0) >= before,
        `last seen at the write, not at the connection (${bob.lastSeen})`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
