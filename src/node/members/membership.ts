import { multiaddr } from '@multiformats/multiaddr';
import type { MemberAnnouncement } from '../../net/wire.ts';
import { MAX_MEMBERS, type MemberRegistry } from './members.ts';
import { forged, isForgery, type Signing } from '../identity/signing.ts';

/** What a `members` message changed, so the node knows whom to tell and what to show. */
export interface GossipResult {
  /** Members whose record this node took (newer than what it had). */
  readonly changed: readonly string[];
  /** Peers worth dialing at once: members that have addresses now and had none, and new hints. */
  readonly reachableNow: readonly string[];
  /** Someone holds a record of this node at least as new as its own: it must announce itself again. */
  readonly selfOutdated: boolean;
  /** Records refused (bad signature, or addresses of another peer): counted as rejected messages. */
  readonly refused: number;
  /** One of them had a forged signature (the rest of the message was not checked). */
  readonly forgery: boolean;
}

/** Peers heard of but never met, kept only as places to dial: at most this many, newest first. */
export const MAX_HINTS = 64;

/**
 * Who is in the group and where they listen. A peer becomes a member only by saying a valid `hello`
 * on a connection that passed the group key and Noise: its own record (name, addresses, a number
 * that only grows), signed by itself. Members pass each other's records on, still signed by their
 * owners, and a node takes a record only when it is newer than the one it holds — so gossip stops by
 * itself once every member holds every newest record, and whoever passes a record on cannot change
 * it. A record of a peer this node has never met is hearsay: it is kept (a few, in memory) only as an
 * address to dial, and the peer becomes a member when it connects and says hello.
 */
export class Membership {
  readonly registry: MemberRegistry;
  readonly #self: string;
  readonly #signing: () => Signing | null;
  readonly #hints = new Map<string, MemberAnnouncement>();
  #ownSeq: number;
  #ownRecord: MemberAnnouncement | null = null;

  /** `now` starts this node's own record at a number above that of its previous runs (the clock). */
  constructor(registry: MemberRegistry, self: string, now: number, signing: () => Signing | null) {
    this.registry = registry;
    this.#self = self;
    this.#ownSeq = now;
    this.#signing = signing;
  }

  get ownSeq(): number {
    return this.#ownSeq;
  }

  /**
   * A peer's hello, on a connection authenticated as `from`: its record must be its own, signed by
   * it. Returns why it is refused, or whether the member's entry changed.
   */
  hello(from: string, record: MemberAnnouncement, now: number): { problem: string } | { changed: boolean } {
    const problem = this.#problem(record);
    if (problem !== null) return { problem };
    if (record.peerId !== from) return { problem: "a hello with another member's record" };
    this.#hints.delete(from);
    const { name, addresses, seq, signature } = record;
    // What a member says about itself on its own connection is the newest truth about it.
    const changed = this.registry.upsert(from, { name, addresses, seq, signature, online: true }, now);
    if (this.registry.get(from) === undefined)
      return { problem: `this node's member list is full (${MAX_MEMBERS} members, none away for 30 days)` };
    return { changed };
  }

  /** Why a peer's hello cannot be taken (without taking it): its record must be its own, signed by it. */
  check(from: string, record: MemberAnnouncement): string | null {
    return this.#problem(record) ?? (record.peerId === from ? null : "a hello with another member's record");
  }

  receive(records: readonly MemberAnnouncement[], now: number): GossipResult {
    const changed: string[] = [];
    const reachableNow: string[] = [];
    let selfOutdated = false;
    let refused = 0;
    let forgery = false;
    for (const record of records) {
      if (record.peerId === this.#self) {
        // Newer than this run's own record: only after this node's clock went back. Go above it, and
        // say so again. (The same number is just this record coming back: nothing to do.)
        if (record.seq > this.#ownSeq) {
          this.#ownSeq = record.seq + 1;
          this.#ownRecord = null;
          selfOutdated = true;
        }
        continue;
      }
      const known = this.registry.get(record.peerId);
      const hint = this.#hints.get(record.peerId);
      if ((known !== undefined && record.seq <= known.seq) || (hint !== undefined && record.seq <= hint.seq))
        continue;
      const problem = this.#problem(record);
      if (problem !== null) {
        refused++;
        // A forged record: the rest of the message is not worth checking.
        if (isForgery(problem)) {
          forgery = true;
          break;
        }
        continue;
      }
      if (known === undefined) {
        // Hearsay: somewhere to dial, not a member.
        this.#hints.delete(record.peerId);
        if (this.#hints.size >= MAX_HINTS) this.#hints.delete(this.#hints.keys().next().value as string);
        this.#hints.set(record.peerId, record);
        if (hint === undefined && record.addresses.length > 0) reachableNow.push(record.peerId);
        continue;
      }
      const hadAddresses = known.addresses.length > 0;
      const { name, addresses, seq, signature } = record;
      if (this.registry.upsert(record.peerId, { name, addresses, seq, signature }, now)) {
        changed.push(record.peerId);
        if (!hadAddresses && addresses.length > 0) reachableNow.push(record.peerId);
      }
    }
    return { changed, reachableNow, selfOutdated, refused, forgery };
  }

  /** A peer heard of but not met: its addresses, to dial. */
  hint(peerId: string): MemberAnnouncement | undefined {
    return this.#hints.get(peerId);
  }

  hints(): IterableIterator<MemberAnnouncement> {
    return this.#hints.values();
  }

  /** A member, or a peer whose own signed record this node holds. */
  knows(peerId: string): boolean {
    return peerId === this.#self || this.registry.get(peerId) !== undefined || this.#hints.has(peerId);
  }

  /** This node's own record, signed (the same object until its name, addresses or number change). */
  ownRecord(name: string, addresses: readonly string[]): MemberAnnouncement | null {
    const signing = this.#signing();
    if (signing === null) return null;
    const mine = addresses.filter(isDialable).slice(0, 16);
    const current = this.#ownRecord;
    if (current !== null && current.name === name && sameList(current.addresses, mine)) return current;
    if (current !== null) this.#ownSeq = Math.max(this.#ownSeq, current.seq + 1);
    const fields = { peerId: this.#self, name, addresses: mine, seq: this.#ownSeq };
    this.#ownRecord = { ...fields, signature: signing.sign({ kind: 'member', ...fields }) };
    return this.#ownRecord;
  }

  /** This node's own record first, then every member it has a signed record of (not hearsay). */
  announcements(selfName: string, selfAddresses: readonly string[]): MemberAnnouncement[] {
    const own = this.ownRecord(selfName, selfAddresses);
    const others = this.registry
      .all()
      .filter((m) => m.peerId !== this.#self && m.signature !== null)
      .map(({ peerId, name, addresses, seq, signature }) => ({
        peerId,
        name,
        addresses,
        seq,
        signature: signature ?? '',
      }))
      .slice(0, 255);
    return own === null ? others : [own, ...others];
  }

  /** Why a record cannot be taken: its signature, or addresses that are not its owner's. */
  #problem(record: MemberAnnouncement): string | null {
    const signing = this.#signing();
    if (signing === null) return 'this node is in no group';
    const { peerId, name, addresses, seq, signature } = record;
    if (!addresses.every((a) => isDialable(a) && a.endsWith(`/p2p/${peerId}`)))
      return 'a member record with addresses that are not plain TCP addresses of its own';
    if (!signing.verify(peerId, { kind: 'member', peerId, name, addresses, seq }, signature))
      return forged('a member record without a valid signature of its member');
    return null;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Addresses as members announce them: each ending in /p2p/<peer> (discovery gives them without). */
export function dialableAddresses(peerId: string, addresses: readonly string[]): string[] {
  return addresses.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`)).filter(isDialable);
}

/**
 * An address Synod dials: /ip4 or /ip6, /tcp, and the peer (/p2p/<id>) — nothing else. A member
 * record, an invite or a hint can never make a node dial a Unix socket, resolve a name, or relay.
 */
export function isDialable(address: string): boolean {
  try {
    const parts = multiaddr(address).getComponents();
    const [host, tcp, p2p] = parts;
    return (
      parts.length === 3 &&
      (host?.name === 'ip4' || host?.name === 'ip6') &&
      tcp?.name === 'tcp' &&
      p2p?.name === 'p2p'
    );
  } catch {
    return false;
  }
}
