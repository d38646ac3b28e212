import assert from 'node:assert/strict';
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { describe, it } from 'node:test';
import {
  decodeAnyInvite,
  encodeGroupInvite,
  encodeInvite,
  InvalidInviteError,
  isGroupInvite,
  type GroupInvite,
} from '../../src/model/invite.ts';
import { inviteLink, inviteOfLink } from '../../src/model/invite-link.ts';
import { createGenesis } from '../../src/node/group/group-signing.ts';

async function groupInvite(): Promise<GroupInvite> {
  const founder = await generateKeyPair('Ed25519');
  const { genesis } = createGenesis(founder, 'Chess club', 'Alice', 1_800_000_000_000);
  const inviteKey = await generateKeyPair('Ed25519');
  return {
    id: genesis.groupId,
    name: genesis.name,
    key: 'ab'.repeat(32),
    addresses: [],
    invite: {
      id: '0123456789abcdef',
      epoch: 4,
      secret: Buffer.from(privateKeyToProtobuf(inviteKey)).toString('base64url'),
    },
    genesis,
  };
}

describe('invites of a group that keeps a group log', () => {
  it('round-trip with their genesis and their entry in the log; an invite of the first kind still reads', async () => {
    const invite = await groupInvite();
    const text = encodeGroupInvite(invite);
    assert.match(text, /^synod2:/);
    const decoded = decodeAnyInvite(`  ${text}\n`);
    assert.ok(isGroupInvite(decoded));
    assert.deepEqual(decoded, invite);
    const old = decodeAnyInvite(encodeInvite({ id: invite.id, name: 'x', key: invite.key, addresses: [] }));
    assert.ok(!isGroupInvite(old));
  });

  it('are refused when their genesis is not the one the group id names, or they are damaged', async () => {
    const invite = await groupInvite();
    const other = await groupInvite();
    const cases: [string, string][] = [
      ['another group’s genesis', encodeGroupInvite({ ...invite, genesis: other.genesis })],
      [
        'a genesis renamed',
        encodeGroupInvite({ ...invite, genesis: { ...invite.genesis, name: 'Go club' } }),
      ],
      ['a damaged text', `${encodeGroupInvite(invite).slice(0, 40)}!!`],
      ['no invite id', encodeGroupInvite({ ...invite, invite: { ...invite.invite, id: 'nope' } })],
    ];
    for (const [what, text] of cases) assert.throws(() => decodeAnyInvite(text), InvalidInviteError, what);
  });

  it('reads an invite as a link too: as typed, or %-encoded as a browser hands it over; other text is left as it is', async () => {
    const invite = await groupInvite();
    const text = encodeGroupInvite(invite);
    const link = inviteLink(text);
    assert.ok(link.startsWith('web+synod:synod2:'));
    assert.equal(inviteOfLink(link), text);
    assert.equal(inviteOfLink(encodeURIComponent(link)), text);
    assert.equal(inviteOfLink('WEB+SYNOD:' + text), text);
    assert.deepEqual(decodeAnyInvite(link), decodeAnyInvite(text));
    assert.deepEqual(decodeAnyInvite(encodeURIComponent(link)), decodeAnyInvite(text));
    // Not a link: unchanged, and judged as an invite is.
    assert.equal(inviteOfLink('web+other:' + text), 'web+other:' + text);
    assert.equal(
      inviteOfLink('web%2Bsynod%3A%E0%A4%A'),
      'web%2Bsynod%3A%E0%A4%A',
      'broken encoding: as it is',
    );
    assert.throws(() => decodeAnyInvite('web+synod:hello'), InvalidInviteError);
  });
});
