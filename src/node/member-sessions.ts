import type { MemberAnnouncement, WireMessage } from '../net/wire.ts';
import type { Membership } from './membership.ts';

/** How long a connection may stay without a valid hello before it is closed. */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * Messages one peer may send: a burst large enough for a whole catalog exchange, then a steady rate
 * (the cost of a message is bounded: a schema check, and at most a few signature checks).
 */
export const MESSAGE_BURST = 20_000;
export const MESSAGES_PER_SECOND = 1_000;

export type MemberMessage = Exclude<WireMessage, { type: 'hello' }>;

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
  /** Anything else a member sent. */
  message(from: string, message: MemberMessage): void;
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

  constructor(membership: Membership, hooks: SessionHooks, now: () => number = Date.now) {
    this.#membership = membership;
    this.#hooks = hooks;
    this.#now = now;
  }

  /** A connection came up: say who this node is, and wait for the peer to do the same. */
  connected(peer: string): void {
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
    this.#buckets.delete(peer);
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

  receive(from: string, message: WireMessage): void {
    if (!this.#withinRate(from)) return;
    if (message.type === 'hello') return this.#hello(from, message.group, message.member);
    if (!this.#greeted.has(from)) {
      this.#hooks.rejected(from, `a ${message.type} message before a valid hello; ignored`);
      return;
    }
    this.#hooks.message(from, message);
  }

  #hello(from: string, group: string, record: MemberAnnouncement): void {
    if (group !== this.#hooks.groupId()) {
      this.#hooks.rejected(from, 'a peer of another group connected; hung up');
      this.#hooks.hangUp(from);
      return;
    }
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
    if (first || result.changed) this.#hooks.greeted(from, first || result.changed);
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
