import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MemberAnnouncement } from '../../src/net/wire.ts';
import { MemberRegistry } from '../../src/node/members/members.ts';
import { Membership } from '../../src/node/members/membership.ts';
import { Signing } from '../../src/node/identity/signing.ts';

const GROUP = '0123456789abcdef';
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function identity(): Promise<{ id: string; signing: Signing }> {
  const key = await generateKeyPair('Ed25519');
  return { id: peerIdFromPrivateKey(key).toString(), signing: new Signing(GROUP, key) };
}

const [self, bob, carol] = await Promise.all([identity(), identity(), identity()]);

function signed(fields: Omit<MemberAnnouncement, 'signature'>, by = bob): MemberAnnouncement {
  return { ...fields, signature: by.signing.sign({ kind: 'member', ...fields }) };
}

async function membership(): Promise<Membership> {
  const dir = await mkdtemp(join(tmpdir(), 'synod-records-'));
  dirs.push(dir);
  return new Membership(await MemberRegistry.load(dir), self.id, 1_000, () => self.signing);
}

describe("a member record's signature covers every field", () => {
  const fields = { peerId: bob.id, name: 'Bob', addresses: [`/ip4/10.0.0.2/tcp/4001/p2p/${bob.id}`], seq: 5 };

  it('the record as signed is taken; changed in any field after signing, it is refused', async () => {
    const good = signed(fields);
    assert.deepEqual((await membership()).hello(bob.id, good, 1), { changed: true });
    const changes: Partial<MemberAnnouncement>[] = [
      { name: 'Bob (the treasurer)' },
      { addresses: [`/ip4/10.0.0.66/tcp/4001/p2p/${bob.id}`] },
      { seq: 6 },
    ];
    for (const change of changes) {
      const m = await membership();
      const result = m.hello(bob.id, { ...good, ...change }, 1);
      assert.ok('problem' in result && /signature/.test(result.problem), JSON.stringify(change));
      assert.equal(m.registry.get(bob.id), undefined);
    }
  });

  it("passed on by another member, a changed record is refused too, and a record signed by someone else for Bob's id", async () => {
    const m = await membership();
    m.hello(carol.id, signed({ peerId: carol.id, name: 'Carol', addresses: [], seq: 1 }, carol), 1);
    m.hello(bob.id, signed(fields), 1);
    const renamed = { ...signed({ ...fields, seq: 6 }), name: 'Alice' };
    assert.equal(m.receive([renamed], 2).refused, 1);
    assert.equal(m.receive([signed({ ...fields, seq: 7, name: 'Alice' }, carol)], 2).refused, 1);
    assert.equal(m.registry.get(bob.id)?.name, 'Bob');
    assert.equal(m.receive([signed({ ...fields, seq: 8, name: 'Robert' })], 3).refused, 0);
    assert.equal(m.registry.get(bob.id)?.name, 'Robert', 'control: a record Bob signed is taken');
  });
});
