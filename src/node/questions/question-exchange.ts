import { createHash } from 'node:crypto';
import type { QuestionDefinition } from '../../model/question.ts';
import type { CatalogEntry, Outcome, WireMessage } from '../../net/wire.ts';
import type { QuestionRecord } from './catalog.ts';
import { CatalogSync } from './catalog-sync.ts';
import type { PaxosDriver } from '../durable/paxos-driver.ts';
import type { QuestionCatalog } from './question-catalog.ts';
import { decisionConfigOf } from './question-voters.ts';

/**
 * Catch-up asks again while this node lacks what a peer's digest named: after 1 s, then twice as long
 * each time up to 30 s, for as long as the peer stays connected. Asking again is sending this node's
 * digest again: the peer answers it as on connect, with exactly what this node still lacks. Pushes can
 * be lost (a stream that breaks, a queue over its limit, a message over the rate), never for good.
 */
export const CATCH_UP_RETRY_FIRST_MS = 1_000;
export const CATCH_UP_RETRY_MAX_MS = 30_000;

export interface ExchangeContext {
  readonly catalog: QuestionCatalog;
  readonly driver: PaxosDriver;
  send(to: string, message: WireMessage): void;
  connectedPeers(): string[];
  /** Why a question from a peer must not be taken (forged, out of bounds), or null. */
  questionProblem(definition: QuestionDefinition): string | null;
  /**
   * Whether `definition` is one this node cannot judge yet (asked in an epoch of the group log it does
   * not hold: it is behind, and catches up): neither refused nor given up, so that the catalog exchange
   * brings it again.
   */
  waits?(from: string, definition: QuestionDefinition): boolean;
  /** Why an outcome from a peer must not be taken (its value or its certificate), or null. */
  outcomeProblem(definition: QuestionDefinition, outcome: Outcome): string | null;
  /** A peer sent something that contradicts what this node knows. */
  rejected(from: string, reason: string): void;
  /** A question was learned or its outcome became known: the UI should hear of it. */
  changed(record: QuestionRecord): void;
  /**
   * A question was written whose outcome the core already holds (its state survived a crash that the
   * question's catalog entry did not): announce it as any outcome, since the core will not again.
   */
  decidedBefore(id: string, value: string): void;
  now(): number;
}

/**
 * How questions travel between members: a digest of the catalog on connect and the answers to it,
 * definitions asked for by id, questions learned from peers (with their outcome when known), and
 * outcomes passed on to members who are in none of a question's lists.
 */
export class QuestionExchange {
  readonly #ctx: ExchangeContext;
  readonly #sync: CatalogSync;
  /** Per peer this node is catching up from: the timer of its next request. */
  readonly #retries = new Map<string, NodeJS.Timeout>();

  constructor(ctx: ExchangeContext) {
    this.#ctx = ctx;
    this.#sync = new CatalogSync({
      ids: () => ctx.catalog.ids(),
      has: (id) => ctx.catalog.get(id) !== undefined,
      outcome: (id) => {
        const outcome = this.#outcome(id);
        return outcome === null ? null : outcomeFingerprint(outcome.value);
      },
    });
  }

  /** A peer connected: send it a digest of the catalog; it answers with what this node lacks. */
  connected(peer: string): void {
    this.#sendDigest(peer);
  }

  disconnected(peer: string): void {
    this.#sync.forget(peer);
    this.#stopRetrying(peer);
  }

  /** Stops every retry (the node stops). */
  stop(): void {
    for (const peer of [...this.#retries.keys()]) this.#stopRetrying(peer);
  }

  /**
   * A chunk of a peer's digest: once complete, send it the questions and outcomes it lacks, and keep
   * asking it for what this node lacks until it has it.
   */
  digest(from: string, entries: readonly CatalogEntry[], done: boolean): void {
    for (const id of this.#sync.receive(from, entries, done)) this.sendQuestion(from, id);
    if (done && !this.#retries.has(from) && this.#sync.lacking(from) > 0)
      this.#retryLater(from, CATCH_UP_RETRY_FIRST_MS);
  }

  #sendDigest(peer: string): void {
    for (const chunk of this.#sync.digest()) this.#ctx.send(peer, { type: 'catalog', ...chunk });
  }

  #retryLater(peer: string, delay: number): void {
    const timer = setTimeout(() => {
      this.#retries.delete(peer);
      if (this.#sync.lacking(peer) === 0 || !this.#ctx.connectedPeers().includes(peer)) return;
      this.#sendDigest(peer);
      this.#retryLater(peer, Math.min(delay * 2, CATCH_UP_RETRY_MAX_MS));
    }, delay);
    timer.unref();
    this.#retries.set(peer, timer);
  }

  #stopRetrying(peer: string): void {
    clearTimeout(this.#retries.get(peer));
    this.#retries.delete(peer);
  }

  /** A question's definition, with its outcome when known (an answer, or catch-up). */
  sendQuestion(to: string, id: string): void {
    const record = this.#ctx.catalog.get(id);
    // A question kept from before questions were signed cannot be checked by anyone: not passed on.
    if (record === undefined || record.definition.signature === undefined) return;
    this.#ctx.send(to, {
      type: 'question',
      question: record.definition,
      outcome: this.#outcome(id),
      decidedAt: record.decidedAt,
    });
  }

  /**
   * A question from a peer, with its outcome when the peer knows it, and when the group decided it:
   * a laptop that was away shows that time, not the time it came back.
   */
  learn(
    from: string,
    definition: QuestionDefinition,
    outcome: Outcome | null,
    decidedAt: number | null,
  ): void {
    const { catalog, driver } = this.#ctx;
    const known = catalog.get(definition.id);
    if (known !== undefined && JSON.stringify(known.definition) !== JSON.stringify(definition)) {
      this.#sync.giveUp(from, definition.id);
      this.#ctx.rejected(from, `a different definition of the known question ${definition.id}; ignored`);
      return;
    }
    if (known === undefined && this.#ctx.waits?.(from, definition) === true) return;
    if (known === undefined) {
      const problem =
        catalog.limitProblem(definition.createdBy, definition.createdAt) ??
        this.#ctx.questionProblem(definition);
      if (problem !== null) {
        this.#sync.giveUp(from, definition.id);
        this.#ctx.rejected(from, `question ${definition.id}: ${problem}; ignored`);
        return;
      }
    }
    const outcomeProblem = outcome === null ? null : this.#ctx.outcomeProblem(definition, outcome);
    if (outcomeProblem !== null) {
      // The question itself is fine; only its outcome is refused.
      this.#sync.giveUp(from, definition.id);
      this.#ctx.rejected(from, `the outcome of question ${definition.id}: ${outcomeProblem}; ignored`);
    }
    if (known === undefined) {
      // In memory at once (so the outcome below finds it), shown once on disk; a failed write stops this
      // node from voting, like any storage failure.
      void catalog.add(definition).then(
        () => {
          const record = catalog.get(definition.id);
          if (record !== undefined) this.#ctx.changed(record);
          const chosen = driver.core.decision(definition.id)?.chosen ?? null;
          if (chosen !== null) this.#ctx.decidedBefore(definition.id, chosen);
        },
        () => undefined,
      );
      driver.input({
        kind: 'open',
        decision: definition.id,
        config: decisionConfigOf(definition),
      });
    }
    if (outcome !== null && outcomeProblem === null) {
      // Unsigned, so only believed within what is possible: after the question, and not in the future.
      if (decidedAt !== null)
        catalog.noteGroupDecidedAt(
          definition.id,
          Math.min(Math.max(decidedAt, definition.createdAt), this.#ctx.now()),
        );
      // Shown once the core has it on disk and the catalog its time (see the router's 'decided').
      driver.input({
        kind: 'receive',
        from,
        message: { kind: 'decided', decision: definition.id, ...outcome },
      });
    }
  }

  /**
   * An outcome became known here. Members who joined after the question was asked are in none of its
   * lists: tell those connected now, rather than let them wait for their next reconnection.
   */
  decided(record: QuestionRecord): void {
    const outcome = this.#outcome(record.id);
    if (outcome === null || record.definition.signature === undefined) return;
    const listed = new Set([...record.definition.acceptors, ...record.definition.learners]);
    for (const peer of this.#ctx.connectedPeers()) {
      if (!listed.has(peer))
        this.#ctx.send(peer, {
          type: 'question',
          question: record.definition,
          outcome,
          decidedAt: record.decidedAt,
        });
    }
  }

  /** The outcome with its certificate; an outcome without one (from before) cannot be passed on. */
  #outcome(id: string): Outcome | null {
    const decision = this.#ctx.driver.core.decision(id);
    if (decision === undefined || decision.chosen === null || decision.certificate === null) return null;
    return { value: decision.chosen, certificate: decision.certificate };
  }
}

/** 64 bits of the value's SHA-256: enough to tell two outcomes of one question apart. */
export function outcomeFingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}
