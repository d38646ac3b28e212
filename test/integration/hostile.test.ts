import assert from 'node:assert/strict';
import { SynodError } from '../../src/api/types.ts';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { lpStream } from '@libp2p/utils';
import { createHost } from '../../src/net/host.ts';
import { PROTOCOL } from '../../src/net/wire.ts';
import { DaemonGroup, DaemonProcess, decidedOption, sleep, waitFor } from '../helpers/daemons.ts';

describe('outsiders and bad input on the wire', () => {
  let group: DaemonGroup;
  before(async () => {
    group = await DaemonGroup.start(2);
  });
  after(() => group?.stop());

  it('a node without the group secret cannot connect, and learns nothing', async () => {
    const [n1] = group.daemons;
    assert.ok(n1);
    const secret = await n1.client.createQuestion({ title: 'Secret plan', options: ['A', 'B'] });
    const base = await mkdtemp(join(tmpdir(), 'synod-outsider-'));
    const outsider = new DaemonProcess('outsider', join(base, 'o'));
    try {
      await outsider.start();
      await outsider.client.createGroup({ groupName: 'other group', displayName: 'Mallory' });
      const address = (await n1.client.status()).addresses[0];
      assert.ok(address);
      // Without the key nobody of the group can answer there: refused, and nothing is remembered.
      await assert.rejects(
        outsider.client.addPeer({ address }),
        (error: unknown) => error instanceof SynodError && error.code === 'unreachable',
      );
      await sleep(3_000);
      const seenByOutsider = await outsider.client.peers();
      assert.ok(
        seenByOutsider.every((p) => !p.online),
        'the outsider is connected to nobody',
      );
      assert.deepEqual(await outsider.client.questions(), [], 'the outsider learned no question');
      const n1Peers = await n1.client.peers();
      assert.ok(!n1Peers.some((p) => p.name === 'Mallory'), 'the group never heard of the outsider');
      assert.ok((await n1.client.questions()).some((q) => q.id === secret.id));
    } finally {
      await outsider.stop();
      await rm(base, { recursive: true, force: true });
    }
  });

  it('malformed, schema-breaking, truncated and oversized messages are rejected without a crash or a state change', async () => {
    const [n1, n2] = group.daemons;
    assert.ok(n1 && n2);
    const before = await n1.client.questions();
    const rejectedBefore = (await n1.client.status()).rejectedMessages;
    const config = JSON.parse(await readFile(join(n1.dataDir, 'group.json'), 'utf8')) as {
      group: { id: string; key: string };
    };
    // A peer that has the group key (a buggy or hostile member) but speaks garbage.
    const raw = await createHost({
      privateKey: await generateKeyPair('Ed25519'),
      group: config.group,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
    });
    await raw.start();
    try {
      const target = (await n1.client.status()).peerId;
      const address = (await n1.client.status()).addresses[0] ?? '';
      await raw.dial(multiaddr(address));
      const send = async (frames: Uint8Array[], rawBytes?: Uint8Array) => {
        const stream = await raw.dialProtocol(peerIdFromString(target), PROTOCOL);
        const lp = lpStream(stream);
        for (const frame of frames) await lp.write(frame);
        if (rawBytes) lp.unwrap().send(rawBytes);
        await sleep(200);
        await stream.close().catch(() => undefined);
      };
      const text = (s: string) => new TextEncoder().encode(s);
      await send([
        text('not json at all'),
        text('{"type":"paxos","message":{"kind":"prepare","decision":"xyz","ballot":{"round":-1}}}'),
      ]);
      await send([
        text(
          JSON.stringify({ type: 'question', question: { id: 'f'.repeat(32), title: '' }, outcome: null }),
        ),
      ]);
      await send([], Uint8Array.from([0x64, ...text('only ten b')])); // says 100 bytes, sends 10, then closes
      await send([], Uint8Array.from([0x80, 0x80, 0x40])); // says 1 MiB: over the limit
      await send([new Uint8Array(70 * 1024).fill(0x20)]); // an actual 70 KiB frame
      await waitFor(
        async () => {
          return (await n1.client.status()).rejectedMessages - rejectedBefore >= 5;
        },
        5_000,
        'the rejections to be counted',
      );
    } finally {
      await raw.stop();
    }
    // Nothing changed, and the node still works.
    assert.deepEqual(await n1.client.questions(), before);
    assert.equal((await n1.client.status()).storageError, null);
    const q = await n1.client.createQuestion({ title: 'Still working?', options: [] });
    await n1.client.propose({ questionId: q.id, option: 'yes' });
    assert.equal(await decidedOption(n2.client, q.id), 'yes');
  });
});
