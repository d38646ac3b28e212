import { slotOf } from '../model/group/epoch.ts';
import type { MemberAnnouncement, WireMessage } from '../net/wire.ts';
import type { CoreEvent, PaxosMessage } from '../paxos/index.ts';
import type { GroupChange } from '../model/group/changes.ts';
import type { Logger } from '../util/logger.ts';
import type { QuestionRecord } from './questions/catalog.ts';
import type { MemberMessage } from './members/member-sessions.ts';
import type { Membership } from './members/membership.ts';
import { forged } from './identity/signing.ts';
import type { PaxosDriver } from './durable/paxos-driver.ts';
import type { QuestionCatalog } from './questions/question-catalog.ts';
import type { QuestionExchange } from './questions/question-exchange.ts';
import type { Timelines } from './timeline.ts';
import type { VoteChecks } from './votes/vote-checks.ts';
import type { VoteDesk } from './votes/vote-desk.ts';

/** What the router reaches in the node; each part has its own module, the router only dispatches. */
export interface RouterContext {
  readonly log: Logger;
  readonly membership: Membership;
  readonly timelines: Timelines;
  /** The catalog and the Paxos driver; null when the state on disk could not be opened. */
  readonly storage: { readonly catalog: QuestionCatalog; readonly driver: PaxosDriver } | null;
  readonly exchange: QuestionExchange | null;
  readonly desk: VoteDesk | null;
  /** The checks of the group's signatures (null until the node is in a group). */
  checks(): VoteChecks | null;
  connectedPeers(): string[];
  send(to: string, message: WireMessage): void;
  /** Dial a member on the next poll rather than after a backoff. */
  redialSoon(peer: string): void;
  memberAnnouncements(): MemberAnnouncement[];
  /** Members changed (online, names, addresses): the UI should hear of it. */
  peersChanged(changed: readonly string[]): void;
  questionChanged(record: QuestionRecord): void;
  /** A question was decided: wake whoever waits for its outcome. */
  decided(questionId: string): void;
  /** `count` messages (or records) from `from` were refused. */
  rejected(from: string, reason: string, count?: number): void;
  storageFailed(error: Error): void;
  /** The group log's part of the node (src/node/group); null for a group that keeps none. */
  group(): GroupRoutes | null;
}

/** Where the group log's messages and outcomes go. */
export interface GroupRoutes {
  receive(from: string, message: PaxosMessage): void;
  decided(decision: string): void;
  joinRequested(from: string, change: GroupChange): void;
  removalHeard(from: string, change: GroupChange): void;
}

/**
 * Where what members say, and what the Paxos core reports, goes: to membership, the question
 * exchange, the vote desk or the core. Paxos messages are checked here, once, before the core sees
 * them: the core takes signatures and values on trust.
 */
export class MessageRouter {
  readonly #ctx: RouterContext;

  constructor(ctx: RouterContext) {
    this.#ctx = ctx;
  }

  /** A peer proved it is a member: exchange members, catalogs and votes with it. */
  greeted(peer: string): void {
    const ctx = this.#ctx;
    // Everyone connected hears of the newcomer at once (and the newcomer of everyone), so the full
    // mesh Paxos needs forms without waiting for the newcomer to find each member by itself.
    const members = ctx.memberAnnouncements();
    for (const other of ctx.connectedPeers()) ctx.send(other, { type: 'members', members });
    ctx.exchange?.connected(peer);
    ctx.desk?.connected(peer);
    ctx.peersChanged([peer]);
  }

  message(from: string, message: MemberMessage): void {
    const ctx = this.#ctx;
    switch (message.type) {
      case 'members':
        this.#members(from, message.members);
        return;
      case 'question':
        ctx.exchange?.learn(from, message.question, message.outcome, message.decidedAt ?? null);
        return;
      case 'catalog':
        ctx.exchange?.digest(from, message.entries, message.done);
        return;
      case 'question-request':
        ctx.exchange?.sendQuestion(from, message.id);
        return;
      case 'votes':
        void ctx.desk?.receiveVotes(from, message.votes).catch((e: unknown) => ctx.storageFailed(asError(e)));
        return;
      case 'vote-set':
        void ctx.desk
          ?.receiveSet(from, message.close, message.votes)
          .catch((e: unknown) => ctx.storageFailed(asError(e)));
        return;
      case 'vote-set-request':
        ctx.desk?.sendSet(from, message.question, message.digest);
        return;
      case 'vote-receipt-request':
        ctx.desk?.receipts.answer(from, message.question, message.voter);
        return;
      case 'vote-receipt':
        void ctx.desk?.receipts
          .receive(from, message.receipt)
          .catch((e: unknown) => ctx.storageFailed(asError(e)));
        return;
      case 'paxos':
        this.#paxos(from, message.message);
        return;
      case 'group-join':
        ctx.group()?.joinRequested(from, message.change);
        return;
      case 'group-removal':
        ctx.group()?.removalHeard(from, message.change);
        return;
    }
  }

  #members(from: string, records: readonly MemberAnnouncement[]): void {
    const ctx = this.#ctx;
    const { changed, reachableNow, selfOutdated, refused, forgery } = ctx.membership.receive(
      records,
      Date.now(),
    );
    if (refused > 0)
      ctx.rejected(
        from,
        forgery ? forged(`${refused} member records refused`) : `${refused} member records refused`,
        refused,
      );
    // A member reachable for the first time is dialed on the next poll, not after a backoff.
    for (const peer of reachableNow) ctx.redialSoon(peer);
    // Pass on what was news (typically a newcomer's addresses); records only ever get newer, so the
    // gossip stops once every member holds every newest record.
    if (changed.length > 0 || selfOutdated) {
      const members = ctx.memberAnnouncements();
      for (const other of ctx.connectedPeers())
        if (other !== from || selfOutdated) ctx.send(other, { type: 'members', members });
    }
    if (changed.length > 0) ctx.peersChanged(changed);
  }

  #paxos(from: string, message: Extract<MemberMessage, { type: 'paxos' }>['message']): void {
    const ctx = this.#ctx;
    ctx.log.debug('paxos in', { from, message });
    // A slot of the group log goes to its desk, which checks it (a node that keeps none drops it).
    if (slotOf(message.decision) !== null) {
      ctx.group()?.receive(from, message);
      return;
    }
    // A message about a question this node does not know yet changes nothing; the core asks for it.
    const question = ctx.storage?.catalog.get(message.decision)?.definition;
    const checks = ctx.checks();
    const problem =
      question === undefined || checks === null ? null : checks.problem(question, from, message);
    if (problem !== null) {
      ctx.rejected(from, `a paxos ${message.kind}: ${problem}`);
      return;
    }
    // A close is accepted only once its votes are on disk here; they are asked for meanwhile.
    if (question !== undefined && ctx.desk?.admits(question, from, message) === false) return;
    ctx.timelines.record('received', from, message);
    ctx.storage?.driver.input({ kind: 'receive', from, message });
  }

  /** What the Paxos core reports, once its state is on disk. */
  coreEvent(event: CoreEvent): void {
    const ctx = this.#ctx;
    const storage = ctx.storage;
    if (storage === null) return;
    if (slotOf(event.decision) !== null) {
      if (event.kind === 'decided') ctx.group()?.decided(event.decision);
      else if (event.kind !== 'unknown-decision') ctx.log.info('group log', { ...event });
      return;
    }
    switch (event.kind) {
      case 'decided': {
        ctx.log.info('decided', { question: event.decision, value: event.value });
        // The outcome is on disk; it is shown (pages, events, a proposer's answer) once the time this
        // node learned it is on disk too, so that a crash can take back neither.
        void storage.catalog.markDecided(event.decision, Date.now()).then(
          (record) => {
            if (record !== undefined) {
              ctx.questionChanged(record);
              ctx.exchange?.decided(record);
              // The winner of a vote follows from the chosen votes: fetched until this node has them.
              ctx.desk?.wantChosenSet(record.definition, event.value);
              ctx.desk?.schedule();
            }
            ctx.decided(event.decision);
          },
          () => undefined,
        );
        return;
      }
      case 'conflict': {
        const { liars, signedBoth } = event.conflict;
        ctx.log.error('SAFETY BROKEN: two certificates name different outcomes; the first is kept', {
          question: event.decision,
          liars,
          signedBoth,
        });
        const record = storage.catalog.get(event.decision);
        if (record !== undefined) ctx.questionChanged(record);
        return;
      }
      case 'unknown-decision':
        ctx.send(event.from, { type: 'question-request', id: event.decision });
        return;
      case 'refused':
        ctx.log.debug('paxos input refused', { ...event });
        return;
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
