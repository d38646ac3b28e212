import type { CatalogEntry } from '../../net/wire.ts';

/** Entries in one `catalog` message: 700 ids with their outcomes' fingerprints fit in a 64 KiB frame. */
export const CATALOG_ENTRIES_PER_MESSAGE = 700;
/**
 * What one peer's digest can make this node note as lacking: enough for any honest catch-up (a member
 * asks 1,000 questions at most); beyond it the rest comes with the next round of the exchange.
 */
export const MAX_WANTED_PER_PEER = 10_000;

/** What this node knows, as the sync needs it: every question id, and its outcome's fingerprint. */
export interface CatalogIndex {
  ids(): Iterable<string>;
  has(id: string): boolean;
  /** A short hash of the outcome this node holds with a certificate, or null. */
  outcome(id: string): string | null;
}

/**
 * Catch-up on connect, in proportion to what is new rather than to the catalog's size. Each side sends
 * a digest of its catalog (question ids, and a fingerprint of each outcome it knows) in chunks; when a
 * peer's digest is complete, this node sends it only the questions it lacks, the outcomes it lacks,
 * and the outcomes it knows differently — which can only happen if safety was broken, and is how the
 * two certificates meet and the liars are named. A member back from sleep with nothing new costs a
 * few messages, not one per question ever asked.
 */
export class CatalogSync {
  readonly #index: CatalogIndex;
  /** Per peer: what its digest said so far, about questions this node knows (bounded by the catalog). */
  readonly #heard = new Map<string, Map<string, string | null>>();
  /**
   * Per peer: what its digest says it holds and this node lacks — a question (false) or only its
   * outcome (true) — until this node has it; bounded by MAX_WANTED_PER_PEER.
   */
  readonly #wanted = new Map<string, Map<string, boolean>>();

  constructor(index: CatalogIndex) {
    this.#index = index;
  }

  /** The digest messages to send a peer that just connected. */
  digest(): { entries: CatalogEntry[]; done: boolean }[] {
    const entries = [...this.#index.ids()].map((id) => ({ id, outcome: this.#index.outcome(id) }));
    const messages: { entries: CatalogEntry[]; done: boolean }[] = [];
    for (let at = 0; at < entries.length || messages.length === 0; at += CATALOG_ENTRIES_PER_MESSAGE) {
      const chunk = entries.slice(at, at + CATALOG_ENTRIES_PER_MESSAGE);
      messages.push({ entries: chunk, done: at + CATALOG_ENTRIES_PER_MESSAGE >= entries.length });
    }
    return messages;
  }

  /**
   * A chunk of a peer's digest. When it is the last one, returns the ids of the questions to send that
   * peer (each with its outcome when known); otherwise an empty list.
   */
  receive(from: string, entries: readonly CatalogEntry[], done: boolean): string[] {
    let heard = this.#heard.get(from);
    if (heard === undefined) {
      heard = new Map();
      this.#heard.set(from, heard);
    }
    let wanted = this.#wanted.get(from);
    if (wanted === undefined) {
      wanted = new Map();
      this.#wanted.set(from, wanted);
    }
    for (const { id, outcome } of entries) {
      const known = this.#index.has(id);
      // Only what this node knows is kept: a peer cannot make this map grow past the catalog's size.
      if (known) heard.set(id, outcome);
      const lacking = !known || (outcome !== null && this.#index.outcome(id) === null);
      if (lacking && wanted.size < MAX_WANTED_PER_PEER) wanted.set(id, outcome !== null);
    }
    if (!done) return [];
    this.#heard.delete(from);
    const missing: string[] = [];
    for (const id of this.#index.ids()) {
      const theirs = heard.get(id);
      const mine = this.#index.outcome(id);
      if (theirs === undefined || (mine !== null && theirs !== mine)) missing.push(id);
    }
    return missing;
  }

  /**
   * How many of the questions and outcomes `peer`'s digest named this node still lacks (those it got
   * since are crossed off). Catch-up goes on while this is above zero.
   */
  lacking(peer: string): number {
    const wanted = this.#wanted.get(peer);
    if (wanted === undefined) return 0;
    for (const [id, outcome] of wanted)
      if (this.#index.has(id) && (!outcome || this.#index.outcome(id) !== null)) wanted.delete(id);
    if (wanted.size === 0) this.#wanted.delete(peer);
    return wanted.size;
  }

  /** This node will not take `id` from `peer` (it refused it): no use asking for it again. */
  giveUp(peer: string, id: string): void {
    this.#wanted.get(peer)?.delete(id);
  }

  /** A disconnected peer's half-received digest, and what it had, are of no use any more. */
  forget(peer: string): void {
    this.#heard.delete(peer);
    this.#wanted.delete(peer);
  }
}
