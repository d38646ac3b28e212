import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createHost, onMdnsPeer } from '../../net/host.ts';
import { PeerLinks, type LinkHandlers } from '../../net/links.ts';
import { Reconnector, type ReconnectTarget } from '../../net/reconnector.ts';
import type { WireMessage } from '../../net/wire.ts';
import type { Logger } from '../../util/logger.ts';
import type { MemberRegistry } from '../members/members.ts';
import { dialableAddresses, isDialable } from '../members/membership.ts';

export interface NetworkOptions {
  readonly privateKey: PrivateKey;
  readonly self: string;
  readonly group: { readonly id: string; readonly key: string };
  readonly listen: readonly string[];
  readonly mdns: boolean;
  readonly mdnsIntervalMs?: number;
  /** Addresses given by the user (remembered, or for this run): dialed at once, always. */
  readonly staticPeers: () => readonly string[];
  readonly members: MemberRegistry;
  /** Peers heard of but not met yet (signed records passed on by members), with their addresses. */
  readonly hints: () => Iterable<{ readonly peerId: string; readonly addresses: readonly string[] }>;
  readonly log: Logger;
}

/** Peers found by mDNS that are not members yet, kept to dial: at most this many. */
const MAX_DISCOVERED = 64;
/** Peers whose last dial is remembered for the member details: at most this many. */
const MAX_DIAL_RECORDS = 512;

/** The last attempt to reach a peer: what was tried, and why it failed (null: it connected). */
export interface DialRecord {
  readonly at: number;
  readonly addresses: readonly string[];
  readonly error: string | null;
}

/**
 * A member's place in the group's network: the libp2p host, one long-lived stream per peer, and the
 * rules for reaching members (who dials whom, reconnecting from remembered addresses, mDNS answers).
 */
export class NodeNetwork {
  readonly #host: Libp2p;
  readonly #links: PeerLinks;
  readonly #reconnector: Reconnector;
  readonly #options: NetworkOptions;
  /** mDNS answers from peers that are not members (yet): where to dial them. */
  readonly #discovered = new Map<string, string[]>();
  readonly #dials = new Map<string, DialRecord>();

  private constructor(host: Libp2p, handlers: LinkHandlers, options: NetworkOptions) {
    this.#host = host;
    this.#options = options;
    this.#links = new PeerLinks(host, handlers);
    this.#reconnector = new Reconnector({
      self: options.self,
      isConnected: (target) =>
        target.startsWith('/') ? this.#addressConnected(target) : this.#links.isConnected(target),
      dial: (target) => (target.startsWith('/') ? this.dialAddress(target) : this.#dialPeer(target)),
      targets: () => this.#reconnectTargets(),
      // A budget for all dialing: whatever peers announce, a node never dials more at once.
      maxDialing: 8,
    });
  }

  static async start(options: NetworkOptions, handlers: LinkHandlers): Promise<NodeNetwork> {
    const host = await createHost({
      privateKey: options.privateKey,
      group: options.group,
      listen: options.listen,
      mdns: options.mdns,
      ...(options.mdnsIntervalMs === undefined ? {} : { mdnsIntervalMs: options.mdnsIntervalMs }),
    });
    const network = new NodeNetwork(host, handlers, options);
    // Handlers first, then the host listens and dials (see createHost).
    await network.#links.start();
    network.#listen();
    await host.start();
    network.#reconnector.start();
    network.#reconnector.poll();
    return network;
  }

  async stop(): Promise<void> {
    this.#reconnector.stop();
    await this.#host.stop();
  }

  send(peer: string, message: WireMessage): void {
    this.#links.send(peer, message);
  }

  isConnected(peer: string): boolean {
    return this.#links.isConnected(peer);
  }

  connectedPeers(): string[] {
    return this.#links.connectedPeers();
  }

  /** Where this node listens; addresses other laptops can reach first, loopback last. */
  ownAddresses(): string[] {
    const addresses = this.#host.getMultiaddrs().map((a) => a.toString());
    return addresses.sort((a, b) => Number(a.includes('/127.0.0.1/')) - Number(b.includes('/127.0.0.1/')));
  }

  /** Dial this peer on the next poll, not after its backoff (it connected, or was just heard of). */
  redialSoon(peer: string): void {
    this.#reconnector.reset(peer);
  }

  hangUp(peer: string): void {
    void this.#host.hangUp(peerIdFromString(peer));
  }

  async dialAddress(address: string, timeoutMs = 5_000): Promise<void> {
    await this.#noted(peerOf(address), [address], () =>
      this.#host.dial(multiaddr(address), { signal: AbortSignal.timeout(timeoutMs) }),
    );
  }

  /** This node's last attempt to reach `peer`, or null if it has not tried (or forgot). */
  lastDial(peer: string): DialRecord | null {
    return this.#dials.get(peer) ?? null;
  }

  async #noted(
    peer: string | null,
    addresses: readonly string[],
    dial: () => Promise<unknown>,
  ): Promise<void> {
    const note = (error: string | null) => {
      if (peer === null) return;
      this.#dials.delete(peer);
      if (this.#dials.size >= MAX_DIAL_RECORDS) this.#dials.delete(this.#dials.keys().next().value as string);
      this.#dials.set(peer, { at: Date.now(), addresses: addresses.slice(0, 16), error });
    };
    try {
      await dial();
      note(null);
    } catch (error) {
      note(describeDialError(error));
      throw error;
    }
  }

  #listen(): void {
    const { self, log } = this.#options;
    this.#host.addEventListener('peer:discovery', (event) => {
      const peer = event.detail.id.toString();
      log.debug('discovered a peer', { peer });
      this.#discovered_(peer, event.detail.multiaddrs.map(String));
      // One side dials, so that two members do not open two connections at once.
      if (self < peer && !this.#links.isConnected(peer)) {
        this.#dialPeer(peer).catch((error: unknown) =>
          log.debug('dial failed', { peer, error: String(error) }),
        );
      }
    });
    onMdnsPeer(this.#host, (peer, addresses) => {
      if (peer === self || this.#links.isConnected(peer)) return;
      this.#discovered_(peer, addresses);
      this.#reconnector.reset(peer);
    });
  }

  /**
   * Where mDNS says a peer is. Discovery never makes a member: it updates a member's addresses, or
   * keeps a stranger's few addresses to dial (it becomes a member only by its hello).
   */
  #discovered_(peer: string, found: readonly string[]): void {
    const addresses = dialableAddresses(peer, found);
    if (addresses.length === 0) return;
    if (this.#options.members.get(peer) !== undefined) {
      this.#options.members.upsert(peer, { addresses }, Date.now());
      return;
    }
    this.#discovered.delete(peer);
    if (this.#discovered.size >= MAX_DISCOVERED)
      this.#discovered.delete(this.#discovered.keys().next().value as string);
    this.#discovered.set(peer, addresses.slice(0, 16));
  }

  *#reconnectTargets(): Iterable<ReconnectTarget> {
    for (const address of this.#options.staticPeers()) {
      if (isDialable(address)) yield { peer: address, manual: true };
    }
    for (const member of this.#options.members.all()) {
      if (member.addresses.length > 0) yield { peer: member.peerId, manual: false };
    }
    for (const hint of this.#options.hints()) {
      if (hint.addresses.length > 0) yield { peer: hint.peerId, manual: false };
    }
    for (const peer of this.#discovered.keys()) yield { peer, manual: false };
  }

  #addressesOf(peer: string): readonly string[] {
    const member = this.#options.members.get(peer);
    if (member !== undefined && member.addresses.length > 0) return member.addresses;
    for (const hint of this.#options.hints()) if (hint.peerId === peer) return hint.addresses;
    return this.#discovered.get(peer) ?? [];
  }

  async #dialPeer(peer: string): Promise<void> {
    const id = peerIdFromString(peer);
    const addresses = this.#addressesOf(peer);
    if (addresses.length > 0) {
      await this.#host.peerStore.merge(id, { multiaddrs: addresses.flatMap(toMultiaddr) });
    }
    await this.#noted(peer, addresses, () => this.#host.dial(id, { signal: AbortSignal.timeout(5_000) }));
  }

  #addressConnected(address: string): boolean {
    const peer = peerOf(address);
    return peer !== null && this.#links.isConnected(peer);
  }
}

function toMultiaddr(address: string): Multiaddr[] {
  try {
    return [multiaddr(address)];
  } catch {
    return [];
  }
}

/** The peer id an address ends with (/p2p/…), or null. */
export function peerOf(address: string): string | null {
  try {
    return (
      multiaddr(address)
        .getComponents()
        .find((c) => c.name === 'p2p')?.value ?? null
    );
  } catch {
    return null;
  }
}

/** A dial error in a line: libp2p reports one error per address tried inside an AggregateError. */
export function describeDialError(error: unknown): string {
  const inner = error instanceof AggregateError && error.errors.length > 0 ? error.errors : [error];
  const messages = [...new Set(inner.map((e) => (e instanceof Error ? e.message : String(e))))];
  const text = messages.join('; ') || 'unknown error';
  return text.length > 300 ? `${text.slice(0, 297)}…` : text;
}
