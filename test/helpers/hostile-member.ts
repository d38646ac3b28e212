import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHost } from '../../src/net/host.ts';
import { PeerLinks } from '../../src/net/links.ts';
import { PROTOCOL, type MemberAnnouncement, type WireMessage } from '../../src/net/wire.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import { VoteChecks } from '../../src/node/votes/vote-checks.ts';

/**
 * A member with the group key that lies: a libp2p host built from Synod's own modules, with its own
 * identity, that says and signs whatever a test makes it say. What it receives is recorded, and a test
 * may answer it (to play a lying acceptor).
 */
export class HostileMember {
  readonly peerId: string;
  readonly group: { readonly id: string; readonly key: string };
  readonly signing: Signing;
  readonly checks: VoteChecks;
  readonly received: { readonly from: string; readonly message: WireMessage }[] = [];
  readonly #host: Libp2p;
  readonly #links: PeerLinks;
  #answer: ((from: string, message: WireMessage) => void) | null = null;

  private constructor(host: Libp2p, peerId: string, group: { id: string; key: string }, signing: Signing) {
    this.#host = host;
    this.peerId = peerId;
    this.group = group;
    this.signing = signing;
    this.checks = new VoteChecks(signing);
    this.#links = new PeerLinks(host, {
      onMessage: (from, message) => {
        this.received.push({ from, message });
        this.#answer?.(from, message);
      },
      onRejected: () => undefined,
      onConnected: () => undefined,
      onDisconnected: () => undefined,
    });
  }

  /** A member of the group whose settings are in `dataDir` (it read the invite). */
  static async of(dataDir: string): Promise<HostileMember> {
    const config = JSON.parse(await readFile(join(dataDir, 'group.json'), 'utf8')) as {
      group: { id: string; key: string };
    };
    const privateKey = await generateKeyPair('Ed25519');
    const host = await createHost({
      privateKey,
      group: config.group,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
    });
    const member = new HostileMember(
      host,
      peerIdFromPrivateKey(privateKey).toString(),
      config.group,
      new Signing(config.group.id, privateKey),
    );
    await member.#links.start();
    await host.start();
    return member;
  }

  /** Connects to a daemon and introduces itself as `name`. */
  async connect(address: string, name = 'Mallory'): Promise<string> {
    const connection = await this.#host.dial(multiaddr(address));
    const peer = connection.remotePeer.toString();
    this.send(peer, { type: 'hello', group: this.group.id, member: this.record(name) });
    return peer;
  }

  /** Its own member record, signed like a real member's (it has no address anyone could dial). */
  record(name: string, seq = 1): MemberAnnouncement {
    const fields = { peerId: this.peerId, name, addresses: [], seq };
    return { ...fields, signature: this.signing.sign({ kind: 'member', ...fields }) };
  }

  /** Connects with the group key, and says nothing. */
  async connectSilently(address: string): Promise<string> {
    const connection = await this.#host.dial(multiaddr(address));
    return connection.remotePeer.toString();
  }

  isConnected(peer: string): boolean {
    return this.#links.isConnected(peer);
  }

  /** Opens `count` streams of Synod's protocol at once; resolves to how many the peer let open. */
  async openStreams(peer: string, count: number): Promise<{ opened: number; stillOpen: () => number }> {
    const results = await Promise.allSettled(
      Array.from({ length: count }, () =>
        this.#host.dialProtocol(peerIdFromString(peer), PROTOCOL, { signal: AbortSignal.timeout(5_000) }),
      ),
    );
    const streams = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    return { opened: streams.length, stillOpen: () => streams.filter((s) => s.status === 'open').length };
  }

  send(peer: string, message: WireMessage): void {
    this.#links.send(peer, message);
  }

  /** Answers every message it receives from now on with what `answer` says. */
  answer(answer: (from: string, message: WireMessage) => void): void {
    this.#answer = answer;
  }

  async stop(): Promise<void> {
    await this.#host.stop();
  }
}
