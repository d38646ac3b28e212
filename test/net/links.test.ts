import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createHost } from '../../src/net/host.ts';
import { MAX_QUEUED_BYTES, PeerLinks } from '../../src/net/links.ts';
import type { WireMessage } from '../../src/net/wire.ts';

const group = { id: randomBytes(8).toString('hex'), key: randomBytes(32).toString('hex') };

async function member(): Promise<{
  host: Libp2p;
  links: PeerLinks;
  peerId: string;
  received: WireMessage[];
  rejected: string[];
}> {
  const privateKey = await generateKeyPair('Ed25519');
  const host = await createHost({ privateKey, group, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
  const received: WireMessage[] = [];
  const rejected: string[] = [];
  const links = new PeerLinks(host, {
    onMessage: (_from, message) => received.push(message),
    onRejected: (_from, reason) => rejected.push(reason),
    onConnected: () => undefined,
    onDisconnected: () => undefined,
  });
  await links.start();
  await host.start();
  return { host, links, peerId: peerIdFromPrivateKey(privateKey).toString(), received, rejected };
}

const query = (i: number): WireMessage => ({
  type: 'paxos',
  message: { kind: 'query', decision: i.toString(16).padStart(32, '0') },
});

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('links between two members', () => {
  let a: Awaited<ReturnType<typeof member>>;
  let b: Awaited<ReturnType<typeof member>>;
  before(async () => {
    a = await member();
    b = await member();
    const address = b.host.getMultiaddrs()[0];
    assert.ok(address);
    await a.host.dial(multiaddr(address.toString()));
    await until(() => a.links.isConnected(b.peerId), 5_000, 'the connection');
  });
  after(async () => {
    await a.host.stop();
    await b.host.stop();
  });

  it('messages sent together leave together, in order, in far fewer writes than messages', async () => {
    const before = { ...a.links.stats };
    for (let i = 0; i < 2_000; i++) a.links.send(b.peerId, query(i));
    await until(() => b.received.length === 2_000, 10_000, '2,000 messages');
    assert.deepEqual(
      b.received,
      Array.from({ length: 2_000 }, (_, i) => query(i)),
    );
    const writes = a.links.stats.writes - before.writes;
    console.log(`2,000 messages in ${writes} writes`);
    assert.equal(a.links.stats.messages - before.messages, 2_000);
    assert.ok(writes >= 1 && writes <= 20, `${writes} writes`);
    assert.equal(a.links.stats.dropped, 0);
  });

  it('one message alone leaves at once', async () => {
    b.received.length = 0;
    a.links.send(b.peerId, query(7));
    await until(() => b.received.length === 1, 2_000, 'the message');
    assert.deepEqual(b.received, [query(7)]);
  });

  it('what waits for one peer is bounded: past the limit, messages are dropped and counted', async () => {
    b.received.length = 0;
    b.rejected.length = 0;
    // Frames of ~60 KB, all sent before any can leave: at most MAX_QUEUED_BYTES of them wait. (The
    // receiver refuses each as an invalid message; it is their size that counts here.)
    const big = (i: number): WireMessage => ({
      type: 'paxos',
      message: { kind: 'query', decision: `${i}`.padEnd(60_000, 'x') },
    });
    const count = Math.ceil((MAX_QUEUED_BYTES * 2) / 60_000);
    for (let i = 0; i < count; i++) a.links.send(b.peerId, big(i));
    const dropped = a.links.stats.dropped;
    assert.ok(dropped >= count / 2 - 2 && dropped < count, `${dropped} of ${count} dropped`);
    await until(() => b.rejected.length === count - dropped, 20_000, 'the kept messages');
    // The link still works after it.
    a.links.send(b.peerId, query(8));
    await until(() => b.received.length === 1, 2_000, 'the next message');
  });
});
