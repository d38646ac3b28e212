import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createHost, DOOR } from '../../src/net/host.ts';
import { sleep } from '../helpers/daemons.ts';

const STRANGER_ADDRESS = '127.0.0.2';
const SOCKETS = 50;

/**
 * A stranger without the group key who keeps 50 TCP connections open to a member's port, from one
 * address, reopening each as soon as it is closed. Most say nothing; one in ten sends some garbage
 * and then says nothing. It records how long the member let each socket live.
 */
class Stranger {
  readonly lifetimesMs: number[] = [];
  readonly #sockets = new Set<Socket>();
  readonly port: number;
  #stopped = false;

  constructor(port: number) {
    this.port = port;
  }

  start(): void {
    for (let i = 0; i < SOCKETS; i++) this.#open(i % 10 === 0);
  }

  #open(garbage: boolean): void {
    if (this.#stopped) return;
    const opened = performance.now();
    const socket = connect({ host: '127.0.0.1', port: this.port, localAddress: STRANGER_ADDRESS });
    this.#sockets.add(socket);
    socket.on('connect', () => {
      if (garbage) socket.write(randomBytes(100));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      this.lifetimesMs.push(performance.now() - opened);
      setTimeout(() => this.#open(garbage), 20);
    });
  }

  get open(): number {
    return this.#sockets.size;
  }

  stop(): void {
    this.#stopped = true;
    for (const socket of this.#sockets) socket.destroy();
  }
}

async function host(group: { id: string; key: string }, libp2pDoorDefaults: boolean): Promise<Libp2p> {
  const started = await createHost({
    privateKey: await generateKeyPair('Ed25519'),
    group,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    libp2pDoorDefaults,
  });
  await started.start();
  return started;
}

/** A member's host under siege, and another member dialing it: how long the dial takes, if it works. */
async function siege(libp2pDoorDefaults: boolean) {
  const group = { id: '0123456789abcdef', key: randomBytes(32).toString('hex') };
  const member = await host(group, libp2pDoorDefaults);
  const other = await host(group, false);
  const address = member.getMultiaddrs()[0];
  assert.ok(address);
  const stranger = new Stranger(Number(address.getComponents().find((c) => c.name === 'tcp')?.value));
  try {
    stranger.start();
    // libp2p lets one address open 5 connections a second: time enough for its silent ones to pile up.
    await sleep(3_000);
    const t = performance.now();
    let connected = false;
    try {
      await other.dial(multiaddr(address.toString()), { signal: AbortSignal.timeout(5_000) });
      connected = true;
    } catch {
      connected = false;
    }
    const ms = performance.now() - t;
    return { connected, ms, stranger, held: stranger.open };
  } finally {
    stranger.stop();
    await Promise.all([member.stop(), other.stop()]);
  }
}

describe('a stranger without the key cannot hold the door', () => {
  it(`with ${SOCKETS} silent or garbled connections from one address held open, a member still connects at once`, async () => {
    const { connected, ms, stranger } = await siege(false);
    const longest = Math.max(...stranger.lifetimesMs);
    console.log(
      `member connected: ${connected} in ${ms.toFixed(0)} ms; the stranger's sockets lived at most ${longest.toFixed(0)} ms ` +
        `(${stranger.lifetimesMs.length} closed by the member)`,
    );
    assert.ok(connected, 'the member connected');
    assert.ok(ms < 2_000, `within 2 s (${ms.toFixed(0)} ms)`);
    // Nothing of the stranger's lives past the upgrade timeout (plus scheduling slack).
    assert.ok(longest < DOOR.inboundUpgradeTimeout + 1_000, `longest ${longest.toFixed(0)} ms`);
  });

  it("negative control: with libp2p's defaults the same stranger shuts the member out", async () => {
    const { connected, ms } = await siege(true);
    console.log(`with libp2p's defaults: member connected: ${connected} after ${ms.toFixed(0)} ms`);
    assert.ok(!connected || ms >= 2_000, 'the defaults let the stranger hold the door');
  });
});
