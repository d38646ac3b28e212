import type { MemberAnnouncement, WireMessage } from '../../net/wire.ts';
import type { Membership } from './membership.ts';
import { slotOf } from '../../model/group/epoch.ts';

/** How long a connection may stay without a valid hello before it is closed. */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * Messages one peer may send: a burst large enough for a whole catalog exchange, then a steady rate
 * (the cost of a message is bounded: a schema check, and at most a few signature checks).
 */
export const MESSAGE_BURST = 20_000;
export const MESSAGES_PER_SECOND = 1_000;

export type MemberMessage = Exclude<WireMessage, { type: 'hello' }>;

/**
 * What one connection may send before its hello, kept and handled once the hello is valid: a peer's
 * first messages can overtake its hello (they left on another stream, or its hello was lost and is
 * said again), and dropping them would leave this node behind until the next reconnection. Beyond
 * these bounds (per connection, and for all connections together) they are dropped and counted.
 */
export const EARLY_MESSAGES_PER_PEER = 64;
export const EARLY_BYTES_PER_PEER = 1024 * 1024;
export const EARLY_BYTES_IN_ALL = 8 * 1024 * 1024;

/**
 * A member whose messages carry this many signatures that do not verify is cut off: hung up on, its
 * messages dropped unread and its connections refused for CUT_OFF_MS. An honest node never sends one
 * (it passes on only what it has checked), and each costs a signature check: without a limit, one
 * member sending them as fast as it can slowed every decision from 30 ms to seconds.
 */
export const FORGERIES_BEFORE_CUT_OFF = 5;
export const CUT_OFF_MS = 10 * 60_000;

interface EarlyMessages {
  messages: MemberMessage[];
  bytes: number;
  /** Already reported as over the bounds: one rejection per connection, not one per message. */
  overflowed: boolean;
}

export interface SessionHooks {
  /** The group this node is in; a hello for another group is hung up on. */
  groupId(): string | null;
  /** This node's own signed record, for its hello. */
  ownRecord(): MemberAnnouncement | null;
  send(peer: string, message: WireMessage): void;
  hangUp(peer: string): void;
  rejected(from: string, reason: string): void;
  /** A peer said a valid hello on this connection: it is a member; `changed` if its entry changed. */
  greeted(peer: string, changed: boolean): void;
  /** Anything else a member sent (or, from a peer that is no member yet, a message of the group log). */
  message(from: string, message: MemberMessage): void;
  /**
   * Whether a peer that says a valid hello is a member: in a group that keeps a group log, only the
   * members of its newest epoch are (absent: whoever says a valid hello is).
   */
  admits?(peer: string): boolean;
  /** A peer that is no member said a valid hello: it may ask to join, and take part in the log. */
  applicant?(peer: string): void;
}

interface Bucket {
  tokens: number;
  at: number;
  /** Already reported as flooding: one rejection counted per flood, not one per message. */
  flooding: boolean;
}

/**
 * The state of each connection to another node: whether it has said a valid hello (only then is it a
 * member, and only then does anything else it sends count), and how many messages it may still send.
 * A connection that passed the group key and Noise but says nothing valid is closed after
 * HELLO_TIMEOUT_MS.
 */
export class MemberSessions {
  readonly #membership: Membership;
  readonly #hooks: SessionHooks;
  readonly #now: () => number;
  readonly #greeted = new Set<string>();
  readonly #waiting = new Map<string, NodeJS.Timeout>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #early = new Map<string, EarlyMessages>();
  /** Peers that said a valid hello but are no members (yet): their records, until admitted. */
  readonly #applicants = new Map<string, MemberAnnouncement>();
  #earlyBytes = 0;
  /** Forged signatures by peer, since it was last cut off; and until when each cut-off peer is. */
  readonly #forgedBy = new Map<string, number>();
  readonly #cutOffUntil = new Map<string, number>();
  #forgeries = 0;

  constructor(membership: Membership, hooks: SessionHooks, now: () => number = Date.now) {
    this.#membership = membership;
    this.#hooks = hooks;
    this.#now = now;
  }

  /** A connection came up: say who this node is, and wait for the peer to do the same. */
  connected(peer: string): void {
    if (this.#isCutOff(peer)) {
      this.#hooks.hangUp(peer);
      return;
    }
    const group = this.#hooks.groupId();
    const record = this.#hooks.ownRecord();
    if (group !== null && record !== null) this.#hooks.send(peer, { type: 'hello', group, member: record });
    if (this.#greeted.has(peer) || this.#waiting.has(peer)) return;
    const timer = setTimeout(() => {
      this.#waiting.delete(peer);
      if (this.#greeted.has(peer)) return;
      this.#hooks.rejected(peer, 'connected but said no valid hello; hung up');
      this.#hooks.hangUp(peer);
    }, HELLO_TIMEOUT_MS);
    timer.unref();
    this.#waiting.set(peer, timer);
  }

  disconnected(peer: string): void {
    this.#greeted.delete(peer);
    this.#applicants.delete(peer);
    this.#buckets.delete(peer);
    this.#dropEarly(peer);
    const timer = this.#waiting.get(peer);
    if (timer !== undefined) clearTimeout(timer);
    this.#waiting.delete(peer);
  }

  isMember(peer: string): boolean {
    return this.#greeted.has(peer);
  }

  /** The peers connected now that have said a valid hello. */
  members(): string[] {
    return [...this.#greeted];
  }

  /** The peers connected now that said a valid hello but are no members. */
  applicants(): string[] {
    return [...this.#applicants.keys()];
  }

  /**
   * The group made `peer` a member (its join was chosen): if it is connected as an applicant, it is
   * greeted as a member now, and the messages it sent meanwhile are handled.
   */
  admit(peer: string): void {
    const record = this.#applicants.get(peer);
    const group = this.#hooks.groupId();
    if (record === undefined || group === null) return;
    this.#applicants.delete(peer);
    this.#hello(peer, group, record);
  }

  /**
   * The group no longer counts `peer` as a member (it left): its connection ends here, and should it
   * connect again, it is an applicant like anyone the group has not admitted.
   */
  expel(peer: string): void {
    if (!this.#greeted.has(peer) && !this.#applicants.has(peer)) return;
    this.#greeted.delete(peer);
    this.#applicants.delete(peer);
    this.#dropEarly(peer);
    this.#hooks.hangUp(peer);
  }

  /** A message from a connected peer; `bytes` is its size on the wire (for the bounds of early ones). */
  receive(from: string, message: WireMessage, bytes = 0): void {
    if (this.#isCutOff(from) || !this.#withinRate(from)) return;
    if (message.type === 'hello') return this.#hello(from, message.group, message.member);
    if (this.#applicants.has(from) && isGroupLogMessage(message)) return this.#hooks.message(from, message);
    if (!this.#greeted.has(from)) {
      this.#keepEarly(from, message, bytes);
      return;
    }
    this.#hooks.message(from, message);
  }

  /** A message from `peer` carried a signature that does not verify; a few cut it off (see above). */
  forged(peer: string): void {
    this.#forgeries++;
    if (this.#isCutOff(peer)) return;
    const count = (this.#forgedBy.get(peer) ?? 0) + 1;
    if (count < FORGERIES_BEFORE_CUT_OFF) {
      // Bounded: a peer is counted only while it sends forgeries, and the map is pruned when large.
      if (this.#forgedBy.size >= 1_024 && !this.#forgedBy.has(peer)) this.#forgedBy.clear();
      this.#forgedBy.set(peer, count);
      return;
    }
    this.#forgedBy.delete(peer);
    if (this.#cutOffUntil.size >= 1_024) this.#pruneCutOffs();
    // Still full of peers cut off this very moment: the one cut off first is let go first.
    if (this.#cutOffUntil.size >= 4_096)
      this.#cutOffUntil.delete(this.#cutOffUntil.keys().next().value as string);
    this.#cutOffUntil.set(peer, this.#now() + CUT_OFF_MS);
    this.#greeted.delete(peer);
    this.#dropEarly(peer);
    this.#hooks.rejected(
      peer,
      `${FORGERIES_BEFORE_CUT_OFF} forged signatures: cut off for ${CUT_OFF_MS / 60_000} minutes; hung up`,
    );
    this.#hooks.hangUp(peer);
  }

  /** Signatures that did not verify, from any peer, since start. */
  get forgeries(): number {
    return this.#forgeries;
  }

  /** The peers cut off now. */
  cutOffPeers(): number {
    this.#pruneCutOffs();
    return this.#cutOffUntil.size;
  }

  #isCutOff(peer: string): boolean {
    const until = this.#cutOffUntil.get(peer);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#cutOffUntil.delete(peer);
    return false;
  }

  #pruneCutOffs(): void {
    const now = this.#now();
    for (const [peer, until] of this.#cutOffUntil) if (until <= now) this.#cutOffUntil.delete(peer);
  }

  #keepEarly(from: string, message: MemberMessage, bytes: number): void {
    let early = this.#early.get(from);
    if (early === undefined) {
      early = { messages: [], bytes: 0, overflowed: false };
      this.#early.set(from, early);
    }
    if (
      early.messages.length >= EARLY_MESSAGES_PER_PEER ||
      early.bytes + bytes > EARLY_BYTES_PER_PEER ||
      this.#earlyBytes + bytes > EARLY_BYTES_IN_ALL
    ) {
      if (!early.overflowed)
        this.#hooks.rejected(
          from,
          `more messages before a valid hello than are kept; ${message.type} dropped`,
        );
      early.overflowed = true;
      return;
    }
    early.messages.push(message);
    early.bytes += bytes;
    this.#earlyBytes += bytes;
  }

  #dropEarly(peer: string): MemberMessage[] {
    const early = this.#early.get(peer);
    if (early === undefined) return [];
    this.#early.delete(peer);
    this.#earlyBytes -= early.bytes;
    return early.messages;
  }

  #hello(from: string, group: string, record: MemberAnnouncement): void {
    if (group !== this.#hooks.groupId()) {
      this.#hooks.rejected(from, 'a peer of another group connected; hung up');
      this.#hooks.hangUp(from);
      return;
    }
    if (this.#hooks.admits?.(from) === false) return this.#applicantHello(from, group, record);
    const result = this.#membership.hello(from, record, this.#now());
    if ('problem' in result) {
      this.#hooks.rejected(from, `${result.problem}; hung up`);
      this.#hooks.hangUp(from);
      return;
    }
    const first = !this.#greeted.has(from);
    this.#greeted.add(from);
    const timer = this.#waiting.get(from);
    if (timer !== undefined) clearTimeout(timer);
    this.#waiting.delete(from);
    if (!first && !result.changed) return;
    // Said again in answer: the peer may not have this node's hello (lost on a stream that broke, or
    // sent on a connection that died unnoticed while the peer restarted). It answers only a first or
    // changed hello, so two nodes exchange at most one more each.
    const own = this.#hooks.ownRecord();
    if (own !== null) this.#hooks.send(from, { type: 'hello', group, member: own });
    this.#hooks.greeted(from, true);
    for (const message of this.#dropEarly(from)) this.#hooks.message(from, message);
  }

  /**
   * A valid hello from a peer that is no member: it is answered, not hung up on, and not shown; of
   * what it sends, only the group log's messages count (a join it asks for, the log's Paxos), the
   * rest is kept as early messages until it is admitted.
   */
  #applicantHello(from: string, group: string, record: MemberAnnouncement): void {
    const problem = this.#membership.check(from, record);
    if (problem !== null) {
      this.#hooks.rejected(from, `${problem}; hung up`);
      this.#hooks.hangUp(from);
      return;
    }
    const first = !this.#applicants.has(from);
    this.#greeted.delete(from);
    this.#applicants.set(from, record);
    const timer = this.#waiting.get(from);
    if (timer !== undefined) clearTimeout(timer);
    this.#waiting.delete(from);
    if (!first) return;
    const own = this.#hooks.ownRecord();
    if (own !== null) this.#hooks.send(from, { type: 'hello', group, member: own });
    this.#hooks.applicant?.(from);
    const early = this.#early.get(from);
    if (early === undefined) return;
    const log = early.messages.filter(isGroupLogMessage);
    early.messages = early.messages.filter((m) => !isGroupLogMessage(m));
    for (const message of log) this.#hooks.message(from, message);
  }

  /** A token bucket per peer: over the rate, messages are dropped (and counted), never queued. */
  #withinRate(from: string): boolean {
    const now = this.#now();
    const bucket = this.#buckets.get(from) ?? { tokens: MESSAGE_BURST, at: now, flooding: false };
    bucket.tokens = Math.min(
      MESSAGE_BURST,
      bucket.tokens + ((now - bucket.at) / 1_000) * MESSAGES_PER_SECOND,
    );
    bucket.at = now;
    this.#buckets.set(from, bucket);
    if (bucket.tokens < 1) {
      if (!bucket.flooding) this.#hooks.rejected(from, 'over the message rate; dropping its messages');
      bucket.flooding = true;
      return false;
    }
    bucket.tokens -= 1;
    bucket.flooding = false;
    return true;
  }
}

/** What a peer that is no member may send: its join, and the group log's Paxos (checked by the log). */
function isGroupLogMessage(message: MemberMessage): boolean {
  return (
    message.type === 'group-join' || (message.type === 'paxos' && slotOf(message.message.decision) !== null)
  );
}
