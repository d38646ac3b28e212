import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { PeerView } from '../../api/types.ts';
import { LIMITS } from '../../model/limits.ts';
import { writeFileDurably } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';

export interface Member {
  readonly peerId: string;
  name: string;
  addresses: string[];
  lastSeen: number | null;
  /**
   * When this node first met the member (null: before this was noted, which is earlier than any
   * noted). Acceptor seats go to the members known longest, which no new key can be.
   */
  firstSeen: number | null;
  online: boolean;
  /**
   * The version of the member's own record (name and addresses) that these fields come from: set by
   * the member itself, so a newer one always replaces an older one and stale hearsay never wins.
   */
  seq: number;
  /** The member's own signature of its record, so that it can be passed on (null: from before). */
  signature: string | null;
}

const fileSchema = z.array(
  z.object({
    peerId: z.string(),
    name: z.string(),
    addresses: z.array(z.string()),
    lastSeen: z.number().nullable(),
    firstSeen: z.number().nullable().default(null),
    seq: z.number().int().nonnegative().default(0),
    signature: z.string().nullable().default(null),
    /** When the file was written while the member was connected: it was seen until then at least. */
    seenUntil: z.number().nullable().default(null),
  }),
);

/** While members are connected, the file is written this often, so that a crash loses little of when they were last seen. */
const SEEN_UNTIL_INTERVAL_MS = 5 * 60_000;

/**
 * Members one node keeps at most (with itself, a question's voters: LIMITS.maxVoters). When full, a
 * newcomer is refused, unless a member has been away for STALE_MEMBER_MS: then it takes the place of
 * the one away longest. Identities made up by one member can neither push out members who were
 * there first, nor keep the list full for ever once they go away.
 */
export const MAX_MEMBERS = LIMITS.maxVoters - 1;
export const STALE_MEMBER_MS = 30 * 24 * 60 * 60_000;

/**
 * Every member this node has heard of: names, addresses (so it can reconnect without multicast) and
 * when each was last connected. Kept in members.json; a lost file only costs reconnection hints.
 */
export class MemberRegistry {
  readonly #path: string;
  readonly #members = new Map<string, Member>();
  #saveTimer: NodeJS.Timeout | null = null;
  #seenTimer: NodeJS.Timeout | null = null;
  #saving: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.#path = path;
  }

  static async load(dir: string): Promise<MemberRegistry> {
    const registry = new MemberRegistry(join(dir, FILES.members));
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(registry.#path, 'utf8')));
      if (parsed.success) {
        for (const { seenUntil, ...m } of parsed.data) {
          // Connected when this node last wrote the file and never noted the end (it crashed): last
          // seen then.
          const lastSeen = seenUntil !== null && seenUntil > (m.lastSeen ?? 0) ? seenUntil : m.lastSeen;
          registry.#members.set(m.peerId, { ...m, lastSeen, online: false });
        }
      }
    } catch {
      // Missing or unreadable: start empty; peers are rediscovered.
    }
    return registry;
  }

  /**
   * Writes the file every few minutes while a member is connected, and once more at `stop`, so
   * that "last seen" stays close to the truth even when this node crashes.
   */
  startNotingConnections(intervalMs = SEEN_UNTIL_INTERVAL_MS): void {
    this.#seenTimer ??= setInterval(() => {
      if ([...this.#members.values()].some((m) => m.online)) void this.flush();
    }, intervalMs);
    this.#seenTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#seenTimer !== null) clearInterval(this.#seenTimer);
    this.#seenTimer = null;
    await this.flush();
  }

  get(peerId: string): Member | undefined {
    return this.#members.get(peerId);
  }

  all(): Member[] {
    return [...this.#members.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.peerId.localeCompare(b.peerId),
    );
  }

  nameOf(peerId: string): string {
    return this.#members.get(peerId)?.name ?? `${peerId.slice(-6)}`;
  }

  get size(): number {
    return this.#members.size;
  }

  /**
   * Adds or updates a member; returns true when something changed (never for a repeat of what is
   * known). A new member beyond MAX_MEMBERS is not added (false).
   */
  upsert(
    peerId: string,
    update: {
      name?: string;
      addresses?: readonly string[];
      online?: boolean;
      seq?: number;
      signature?: string;
    },
    now: number,
  ): boolean {
    const existing = this.#members.get(peerId);
    if (existing === undefined && this.#members.size >= MAX_MEMBERS && !this.#evictOne(now)) return false;
    const member: Member = existing ?? {
      peerId,
      name: peerId.slice(-6),
      addresses: [],
      lastSeen: null,
      firstSeen: now,
      online: false,
      seq: 0,
      signature: null,
    };
    const before = JSON.stringify(member);
    if (update.name !== undefined) member.name = update.name;
    if (update.addresses !== undefined && update.addresses.length > 0) {
      member.addresses = [...new Set(update.addresses)].slice(0, 16);
    }
    // "Last seen" is the moment it connected or disconnected; hearsay about it changes nothing.
    if (update.online !== undefined && update.online !== member.online) member.lastSeen = now;
    if (update.online !== undefined) member.online = update.online;
    if (update.seq !== undefined) member.seq = update.seq;
    if (update.signature !== undefined) member.signature = update.signature;
    this.#members.set(peerId, member);
    const changed = existing === undefined || JSON.stringify(member) !== before;
    if (changed) this.#scheduleSave();
    return changed;
  }

  /**
   * Makes room by forgetting the member away the longest, if it has been away STALE_MEMBER_MS; false
   * when none has.
   */
  #evictOne(now: number): boolean {
    let oldest: Member | null = null;
    for (const m of this.#members.values()) {
      if (!m.online && (oldest === null || (m.lastSeen ?? 0) < (oldest.lastSeen ?? 0))) oldest = m;
    }
    if (oldest === null || (oldest.lastSeen ?? 0) > now - STALE_MEMBER_MS) return false;
    this.#members.delete(oldest.peerId);
    return true;
  }

  #scheduleSave(): void {
    if (this.#saveTimer !== null) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = null;
      void this.flush();
    }, 1_000);
    this.#saveTimer.unref();
  }

  async flush(): Promise<void> {
    if (this.#saveTimer !== null) {
      clearTimeout(this.#saveTimer);
      this.#saveTimer = null;
    }
    const now = Date.now();
    const data = [...this.#members.values()].map(
      ({ peerId, name, addresses, lastSeen, firstSeen, seq, signature, online }) => ({
        peerId,
        name,
        addresses,
        lastSeen,
        firstSeen,
        seq,
        signature,
        seenUntil: online ? now : null,
      }),
    );
    this.#saving = this.#saving
      .then(() => writeFileDurably(this.#path, JSON.stringify(data, null, 2), { what: 'the member list' }))
      .catch(() => undefined);
    await this.#saving;
  }
}

/** The other members as the UI shows them, with the last dial this node made to each. */
export function peerViews(
  members: readonly Member[],
  self: string,
  lastDial: (peer: string) => PeerView['lastDial'],
): PeerView[] {
  return members
    .filter((m) => m.peerId !== self)
    .map((m) => ({
      peerId: m.peerId,
      name: m.name,
      online: m.online,
      lastSeen: m.lastSeen,
      connectedSince: m.online ? m.lastSeen : null,
      addresses: m.addresses,
      lastDial: lastDial(m.peerId),
    }));
}
