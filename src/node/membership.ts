import { multiaddr } from '@multiformats/multiaddr';
import type { MemberAnnouncement } from '../net/wire.ts';
import type { MemberRegistry } from './members.ts';

/** What a `members` message changed, so the node knows whom to tell and what to show. */
export interface GossipResult {
  /** Members whose record this node took (newer than what it had). */
  readonly changed: readonly string[];
  /** Members that have addresses now and had none before: worth dialing at once. */
  readonly reachableNow: readonly string[];
  /** Someone holds a record of this node at least as new as its own: it must announce itself again. */
  readonly selfOutdated: boolean;
}

/**
 * Who is in the group and where they listen, spread by gossip. Each member versions its own record
 * (name and addresses) with a number that only grows (`seq`, like a libp2p peer record's); a node takes
 * a record only when it is newer than the one it has. So gossip stops by itself once every member holds
 * every newest record, and an old address can never flip back in after a member restarted on a new
 * port (that flip kept idle nodes busy forwarding, each time setting off events for every page).
 */
export class Membership {
  readonly registry: MemberRegistry;
  readonly #self: string;
  #ownSeq: number;

  /** `now` starts this node's own record at a number above that of its previous runs (the clock). */
  constructor(registry: MemberRegistry, self: string, now: number) {
    this.registry = registry;
    this.#self = self;
    this.#ownSeq = now;
  }

  get ownSeq(): number {
    return this.#ownSeq;
  }

  /** The member's own hello is the authority on its name for the connection it came on. */
  hello(from: string, name: string, now: number): boolean {
    return this.registry.upsert(from, { name, online: true }, now);
  }

  receive(announcements: readonly MemberAnnouncement[], now: number): GossipResult {
    const changed: string[] = [];
    const reachableNow: string[] = [];
    let selfOutdated = false;
    for (const m of announcements) {
      if (m.peerId === this.#self) {
        // Newer than this run's own record: only after this node's clock went back. Go above it, and
        // say so again. (The same number is just this record coming back: nothing to do.)
        if (m.seq > this.#ownSeq) {
          this.#ownSeq = m.seq + 1;
          selfOutdated = true;
        }
        continue;
      }
      const known = this.registry.get(m.peerId);
      if (known !== undefined && m.seq <= known.seq) continue;
      const hadAddresses = (known?.addresses.length ?? 0) > 0;
      const addresses = m.addresses.filter(isDialable);
      if (this.registry.upsert(m.peerId, { name: m.name, addresses, seq: m.seq }, now)) {
        changed.push(m.peerId);
        if (!hadAddresses && addresses.length > 0) reachableNow.push(m.peerId);
      }
    }
    return { changed, reachableNow, selfOutdated };
  }

  /** This node's own record first, then every member it knows (bounded like the wire message). */
  announcements(selfName: string, selfAddresses: readonly string[]): MemberAnnouncement[] {
    const self = {
      peerId: this.#self,
      name: selfName,
      addresses: selfAddresses.slice(0, 16),
      seq: this.#ownSeq,
    };
    const others = this.registry
      .all()
      .filter((m) => m.peerId !== this.#self)
      .map((m) => ({ peerId: m.peerId, name: m.name, addresses: m.addresses.slice(0, 16), seq: m.seq }))
      .slice(0, 255);
    return [self, ...others];
  }
}

/** Addresses as members announce them: each ending in /p2p/<peer> (discovery gives them without). */
export function dialableAddresses(peerId: string, addresses: readonly string[]): string[] {
  return addresses.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`)).filter(isDialable);
}

/** A multiaddr that names its peer (…/p2p/<id>), so it can be dialed. */
export function isDialable(address: string): boolean {
  try {
    return multiaddr(address)
      .getComponents()
      .some((c) => c.name === 'p2p');
  } catch {
    return false;
  }
}
