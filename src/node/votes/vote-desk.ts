import { SynodError } from '../../api/types.ts';
import { mayVote, type QuestionDefinition } from '../../model/question.ts';
import {
  decodeClose,
  encodeClose,
  isAllowedVoteOption,
  SOLE_LOT,
  standingVotes,
  supersedes,
  type CloseValue,
  type MemberVote,
} from '../../model/rules.ts';
import { VOTES_PER_MESSAGE, type WireMessage } from '../../net/wire.ts';
import type { PaxosMessage } from '../../paxos/index.ts';
import type { Logger } from '../../util/logger.ts';
import type { QuestionRecord } from '../questions/catalog.ts';
import { isReservedCloser, type VoteBook } from './vote-book.ts';
import { isForgery, type VoteChecks } from './vote-checks.ts';
import { DeadlineCloser } from './deadline-closer.ts';
import { ChosenSetWants } from './chosen-set-wants.ts';
import { closedHere, closesEarly } from './vote-receipts.ts';
import { ReceiptCollector } from './receipt-collector.ts';

/** A vote set asked for is asked again after this long, if it has not come. */
const SET_REQUEST_RETRY_MS = 3_000;
export { CHOSEN_SET_RETRY_FIRST_MS, CHOSEN_SET_RETRY_MAX_MS } from './chosen-set-wants.ts';

export interface VoteDeskContext {
  readonly self: string;
  readonly book: VoteBook;
  readonly log: Logger;
  question(id: string): QuestionRecord | undefined;
  /** Open questions decided by vote or auction (undecided in this node's view). */
  openRuleQuestions(): Iterable<QuestionRecord>;
  /** The value Paxos chose for the question, once known. */
  chosen(id: string): string | null;
  checks(): VoteChecks;
  connectedPeers(): string[];
  send(to: string, message: WireMessage): void;
  rejected(from: string, reason: string): void;
  /** A question's votes or sets changed: the UI should hear of it. */
  changed(id: string): void;
  /** Proposes a close for the question (the node's close, as if its user had clicked). */
  close(id: string): Promise<void>;
  /** This node's own Paxos proposal for the question, if it made one. */
  proposal(id: string): string | null;
  /** The value this node's acceptor has accepted for the question, if any. */
  accepted(id: string): string | null;
  /** Replaces this node's proposal for the question with `value`, for the ballots to come. */
  revise(id: string, value: string): void;
  /** Hands a Paxos message from a peer to the node again (it waited for its vote set). */
  redeliver(from: string, message: PaxosMessage): void;
  now(): number;
}

/**
 * Votes, bids and closes of the questions decided by vote or by sealed bid. Votes are signed by their
 * members and passed from member to member; each node keeps every member's standing vote. A close is
 * a Paxos proposal of the closer's view of the votes, by digest; the votes themselves travel beside it
 * (`vote-set`) and an acceptor accepts the close only once it holds them on disk, so the votes of a
 * chosen close can always be fetched from a majority of the acceptors. Votes that arrive once a
 * question is decided change nothing: the chosen set is the final tally everywhere.
 */
export class VoteDesk {
  readonly #ctx: VoteDeskContext;
  readonly #requested = new Map<string, number>();
  readonly #wants: ChosenSetWants;
  /** Receipts: this acceptor's for the votes it holds, and the acceptors' for this node's own. */
  readonly receipts: ReceiptCollector;
  readonly #deadlines: DeadlineCloser;

  constructor(ctx: VoteDeskContext) {
    this.#ctx = ctx;
    this.#deadlines = new DeadlineCloser(ctx);
    this.#wants = new ChosenSetWants(ctx);
    this.receipts = new ReceiptCollector(ctx);
  }

  // ---- this node's votes, bids and closes ------------------------------------------------------

  /** Casts (or changes) this node's vote, or its bid when `amount` is set. */
  async cast(questionId: string, option: string | undefined, amount: number | null): Promise<void> {
    const { book, self } = this.#ctx;
    const record = this.#requireOpen(questionId);
    const { definition } = record;
    if (definition.rule === 'quick')
      throw new SynodError('invalid-input', 'this question is a quick decision: propose an option instead');
    if ((definition.rule === 'sealed-bid') !== (amount !== null)) {
      throw new SynodError(
        'invalid-input',
        definition.rule === 'sealed-bid'
          ? 'this is an auction: place a bid with an amount'
          : 'this is a vote: vote for an option',
      );
    }
    const chosen =
      option ?? (definition.rule === 'sealed-bid' && definition.options.length === 0 ? SOLE_LOT : undefined);
    if (chosen === undefined) throw new SynodError('invalid-input', 'say which option');
    if (!isAllowedVoteOption(definition, chosen)) {
      throw new SynodError(
        'invalid-input',
        `"${chosen}" is not one of this question's options (${definition.options.join(', ')})`,
      );
    }
    if (!mayVote(definition, self))
      throw new SynodError(
        'invalid-input',
        'you cannot vote on this question: it was asked before this laptop joined the group',
      );
    const now = this.#ctx.now();
    if (definition.deadline !== null && now >= definition.deadline)
      throw new SynodError('invalid-input', 'the deadline has passed: the question is closing');
    if (closedHere(this.#ctx, definition))
      throw new SynodError(
        'invalid-input',
        'the question is closing: this laptop, one of its acceptors, has accepted a close of it, so it takes no more votes',
      );
    const previous = book.voteOf(questionId, self);
    // A number never used before by this member, across restarts: the clock, or one more than the last.
    const seq = Math.max((previous?.seq ?? 0) + 1, now);
    const vote = this.#ctx.checks().signVote({ question: questionId, by: self, option: chosen, amount, seq });
    if ((await this.#keep(vote)) === 'full')
      throw new SynodError('invalid-input', 'you have changed your vote on this question too many times');
    for (const peer of this.#ctx.connectedPeers()) this.#ctx.send(peer, { type: 'votes', votes: [vote] });
    this.#ctx.changed(questionId);
    this.receipts.voted(questionId);
  }

  /**
   * This node's close of the question over the votes it holds: checks that it may close, keeps the
   * vote set on disk, sends it to every member connected, and returns the Paxos value to propose.
   */
  async closeValue(questionId: string, proposed: string | null): Promise<string> {
    const { self, book } = this.#ctx;
    const record = this.#requireOpen(questionId);
    // Paxos takes one proposal per node and question: a node that closed before closes with the same.
    const earlier = proposed === null ? null : decodeClose(proposed);
    const held = earlier === null ? undefined : book.set(questionId, earlier.digest);
    if (proposed !== null && held !== undefined) {
      for (const peer of this.#ctx.connectedPeers())
        this.#ctx.send(peer, { type: 'vote-set', close: proposed, votes: [...held.votes] });
      return proposed;
    }
    const { definition } = record;
    if (definition.rule === 'quick')
      throw new SynodError(
        'invalid-input',
        'a quick decision is not closed: it is decided by the first proposal',
      );
    const now = this.#ctx.now();
    if (!mayVote(definition, self))
      throw new SynodError(
        'invalid-input',
        'you cannot close this question: it was asked before this laptop joined the group',
      );
    if (definition.createdBy !== self && (definition.deadline === null || now < definition.deadline)) {
      throw new SynodError(
        'invalid-input',
        definition.deadline === null
          ? 'only the member who asked this question can close it'
          : 'only the member who asked this question can close it before its deadline',
      );
    }
    const votes = standingVotes(book.standing(questionId));
    const close = this.#ctx.checks().close(definition, votes, self, now);
    const kept = await book.keepSet(close, votes, isReservedCloser(definition, self));
    if (kept === 'full')
      throw new SynodError('invalid-input', 'this question has been closed too many times already');
    const value = encodeClose(close);
    for (const peer of this.#ctx.connectedPeers())
      this.#ctx.send(peer, { type: 'vote-set', close: value, votes });
    return value;
  }

  // ---- from peers ----------------------------------------------------------------------------

  /** Votes from a peer: each valid, newer one is kept and passed on to the others connected. */
  async receiveVotes(from: string, votes: readonly MemberVote[]): Promise<void> {
    const news: MemberVote[] = [];
    for (const vote of votes) {
      const record = this.#ctx.question(vote.question);
      // A vote on a question not known yet, or already decided, counts nowhere: the close decides.
      if (record === undefined || this.#ctx.chosen(vote.question) !== null) continue;
      const problem = this.#ctx.checks().voteProblem(record.definition, vote);
      if (problem !== null) {
        this.#ctx.rejected(from, problem);
        // A forged signature: the rest of the message is not worth checking.
        if (isForgery(problem)) break;
        continue;
      }
      if (this.#arrivesLate(record.definition, vote)) {
        this.#ctx.rejected(
          from,
          "a vote that reached this acceptor after the deadline (by this acceptor's clock)",
        );
        continue;
      }
      if (
        closedHere(this.#ctx, record.definition) &&
        supersedes(vote, this.#ctx.book.voteOf(vote.question, vote.by))
      ) {
        this.#ctx.rejected(
          from,
          'a vote that reached this acceptor after it accepted a close of the question',
        );
        continue;
      }
      if ((await this.#keep(vote)) === 'kept') {
        news.push(vote);
        this.receipts.give(record.definition, vote.by);
      }
    }
    if (news.length === 0) return;
    for (const peer of this.#ctx.connectedPeers())
      if (peer !== from) this.#ctx.send(peer, { type: 'votes', votes: news });
    for (const id of new Set(news.map((v) => v.question))) {
      this.#ctx.changed(id);
      await this.#reviseClose(id);
    }
  }

  /**
   * Whether `vote` is news that reaches this node, an acceptor of its question, once the deadline has
   * passed by this node's clock: refused, whatever time its voter signed (a voter's clock is its own
   * claim). An acceptor refuses a close that leaves out a vote it holds, so the votes it holds are the
   * ones it vouches for; it takes none it could only have been told of after the deadline. Nodes that
   * are not acceptors still take such a vote and pass it on: a closer must be able to merge the votes
   * an acceptor sends it when it refuses its close, or that close could never be accepted.
   */
  #arrivesLate(definition: QuestionDefinition, vote: MemberVote): boolean {
    const { deadline } = definition;
    if (deadline === null || !definition.acceptors.includes(this.#ctx.self) || this.#ctx.now() < deadline)
      return false;
    return supersedes(vote, this.#ctx.book.voteOf(definition.id, vote.by));
  }

  /**
   * This node's close of the question leaves out votes it now holds (they reached it after it
   * closed, or an acceptor refused the close and sent them): close again over every vote held, for
   * the ballots to come.
   */
  async #reviseClose(questionId: string): Promise<void> {
    // One revision at a time per question, and one more if votes came meanwhile: a burst of votes
    // makes one or two new closes, not one each (each takes one of the closer's places).
    if (this.#revising.has(questionId)) {
      this.#reviseAgain.add(questionId);
      return;
    }
    this.#revising.add(questionId);
    try {
      do {
        this.#reviseAgain.delete(questionId);
        await this.#reviseOnce(questionId);
      } while (this.#reviseAgain.has(questionId));
    } finally {
      this.#revising.delete(questionId);
    }
  }

  readonly #revising = new Set<string>();
  readonly #reviseAgain = new Set<string>();

  async #reviseOnce(questionId: string): Promise<void> {
    const proposed = this.#ctx.proposal(questionId);
    const close = proposed === null ? null : decodeClose(proposed);
    const record = this.#ctx.question(questionId);
    if (close === null || close.by !== this.#ctx.self || record === undefined) return;
    if (this.#ctx.chosen(questionId) !== null || this.#missing(record.definition, close).length === 0) return;
    const { definition } = record;
    const votes = standingVotes(this.#ctx.book.standing(questionId));
    const revised = this.#ctx
      .checks()
      .close(definition, votes, this.#ctx.self, Math.max(this.#ctx.now(), close.at));
    const kept = await this.#ctx.book.keepSet(revised, votes, isReservedCloser(definition, this.#ctx.self));
    if (kept === 'full') {
      this.#ctx.log.warn('could not close again with the votes that came: too many closes', {
        question: questionId,
      });
      return;
    }
    const value = encodeClose(revised);
    for (const peer of this.#ctx.connectedPeers())
      this.#ctx.send(peer, { type: 'vote-set', close: value, votes });
    this.#ctx.revise(questionId, value);
  }

  /**
   * The votes this node holds that `close` leaves out or holds an older one of, each cast before the
   * close (its seq, the voter's clock, below the close's time). With `beforeSet`, only those this
   * node took before the close's own set reached it: an acceptor refuses a close that leaves out such
   * a vote, so that no closer can hide a vote the acceptor was told of by dropping it, or by keeping a
   * replaced one; a vote that reached it after the close is the closer's to miss.
   */
  #missing(definition: QuestionDefinition, close: CloseValue, beforeSet = false): MemberVote[] {
    const { book } = this.#ctx;
    const set = book.set(definition.id, close.digest);
    if (set === undefined) return [];
    const inSet = new Map(set.votes.map((v) => [v.by, v]));
    return book
      .standing(definition.id)
      .filter(
        (v) =>
          v.seq < close.at &&
          supersedes(v, inSet.get(v.by)) &&
          (!beforeSet || book.votedAt(definition.id, v.by) <= set.at),
      );
  }

  /**
   * Whether the acceptors can be expected to accept `value` as far as this node knows: not a close
   * whose set this node does not hold (it never came, or it was refused: one that counts someone who
   * is not a voter), nor one that leaves out votes this node holds (an acceptor that holds them too
   * refuses it).
   */
  acceptable(questionId: string, value: string): boolean {
    const record = this.#ctx.question(questionId);
    if (record === undefined || record.definition.rule === 'quick') return true;
    const close = decodeClose(value);
    if (close === null || this.#ctx.book.set(questionId, close.digest) === undefined) return false;
    return this.#missing(record.definition, close).length === 0;
  }

  #writing(question: QuestionDefinition, value: string): Promise<void> | undefined {
    const close = question.rule === 'quick' ? null : decodeClose(value);
    return close === null ? undefined : this.#ctx.book.writing(question.id, close.digest);
  }

  /** This node's acceptor takes its own proposer's Accept only on the terms it gives everyone's. */
  admitsOwn(message: PaxosMessage): boolean {
    if (message.kind !== 'accept') return true;
    const record = this.#ctx.question(message.decision);
    const close =
      record === undefined || record.definition.rule === 'quick' ? null : decodeClose(message.value);
    if (record === undefined || close === null || this.#ctx.accepted(message.decision) === message.value)
      return true;
    if (closesEarly(record.definition, close, this.#ctx.now())) return false;
    return this.#missing(record.definition, close, true).length === 0;
  }

  /** The votes a close committed to: kept on disk once checked, so that the close can be accepted. */
  async receiveSet(from: string, value: string, votes: readonly MemberVote[]): Promise<void> {
    const close = decodeClose(value);
    const record = close === null ? undefined : this.#ctx.question(close.question);
    if (close === null || record === undefined) return;
    if (this.#ctx.book.set(close.question, close.digest) !== undefined) return;
    const problem = this.#ctx.checks().voteSetProblem(record.definition, close, votes);
    if (problem !== null) {
      this.#ctx.rejected(from, problem);
      return;
    }
    const kept = await this.#ctx.book.keepSet(close, votes, isReservedCloser(record.definition, close.by));
    if (kept === 'full') this.#ctx.rejected(from, `too many vote sets for question ${close.question}`);
    this.#requested.delete(`${close.question}:${close.digest}`);
    if (kept !== 'full') this.#wants.arrived(close.question, close.digest);
    this.#ctx.changed(close.question);
  }

  /** A peer asks for a vote set this node may hold. */
  sendSet(to: string, questionId: string, digest: string): void {
    const set = this.#ctx.book.set(questionId, digest);
    if (set === undefined) return;
    this.#ctx.send(to, { type: 'vote-set', close: encodeClose(set.close), votes: [...set.votes] });
  }

  /**
   * Whether this node holds the votes of `value` (true for anything but a close). When it does not, it
   * asks `from` and the members connected for them.
   */
  holdsVotesOf(question: QuestionDefinition, value: string, from?: string): boolean {
    if (question.rule === 'quick') return true;
    const close = decodeClose(value);
    if (close === null || this.#ctx.book.set(question.id, close.digest) !== undefined) return true;
    this.#request(question.id, close.digest, from);
    return false;
  }

  /**
   * The question was decided with `value`: when that is a close whose votes this node lacks, ask for
   * them until they come (see ChosenSetWants).
   */
  wantChosenSet(question: QuestionDefinition, value: string): void {
    if (question.rule === 'quick') return;
    const close = decodeClose(value);
    if (close === null || this.#ctx.book.set(question.id, close.digest) !== undefined) return;
    this.#wants.want(question.id, close.digest);
  }

  /**
   * Whether a Paxos message may reach the core as far as votes go: an Accept of a close only once its
   * votes are on this node's disk (the acceptor then holds what it accepts). A Promise or an outcome
   * naming a close whose votes are missing goes through, and the votes are asked for.
   */
  admits(question: QuestionDefinition, from: string, message: PaxosMessage): boolean {
    switch (message.kind) {
      case 'accept': {
        const writing = this.#writing(question, message.value);
        if (writing !== undefined) {
          // Its set is on its way to this node's disk (it travels just ahead of the Accept): take the
          // Accept up again once it is there.
          void writing.then(() => this.#ctx.redeliver(from, message));
          return false;
        }
        if (!this.holdsVotesOf(question, message.value, from)) return false;
        const close = question.rule === 'quick' ? null : decodeClose(message.value);
        // A close this acceptor has accepted already, it takes again (at a higher ballot): it may have
        // been chosen, and refusing it now would hide nothing, only keep the group from learning it.
        if (close === null || this.#ctx.accepted(question.id) === message.value) return true;
        if (closesEarly(question, close, this.#ctx.now())) {
          this.#ctx.rejected(
            from,
            "a close by a member other than the asker before the deadline (by this acceptor's clock)",
          );
          return false;
        }
        const missing = this.#missing(question, close, true);
        if (missing.length === 0) return true;
        // Refused, and the closer is told what it left out, so that it can close again with them.
        this.#ctx.rejected(from, `a close that leaves out ${missing.length} votes this acceptor holds`);
        for (let at = 0; at < missing.length; at += VOTES_PER_MESSAGE)
          this.#ctx.send(from, { type: 'votes', votes: missing.slice(at, at + VOTES_PER_MESSAGE) });
        return false;
      }
      case 'promise':
        if (message.accepted !== null) this.holdsVotesOf(question, message.accepted.value, from);
        return true;
      case 'accepted':
      case 'decided':
        this.holdsVotesOf(question, message.value, from);
        return true;
      default:
        return true;
    }
  }

  /**
   * A peer connected: ask it for the chosen vote sets this node lacks, and send it every member's
   * standing vote on the open votes and auctions.
   */
  connected(peer: string): void {
    this.#wants.connected(peer);
    this.receipts.connected(peer);
    let batch: MemberVote[] = [];
    for (const record of this.#ctx.openRuleQuestions()) {
      for (const vote of this.#ctx.book.standing(record.id)) {
        batch.push(vote);
        if (batch.length === VOTES_PER_MESSAGE) {
          this.#ctx.send(peer, { type: 'votes', votes: batch });
          batch = [];
        }
      }
    }
    if (batch.length > 0) this.#ctx.send(peer, { type: 'votes', votes: batch });
  }

  // ---- deadlines ----------------------------------------------------------------------------

  /** Sets the timer of the nearest deadline again (see DeadlineCloser). */
  schedule(): void {
    this.#deadlines.schedule();
  }

  stop(): void {
    this.#deadlines.stop();
    this.#wants.stop();
    this.receipts.stop();
  }

  // ---- helpers -----------------------------------------------------------------------------------

  #requireOpen(questionId: string): QuestionRecord {
    const record = this.#ctx.question(questionId);
    if (record === undefined) throw new SynodError('not-found', `there is no question ${questionId}`);
    if (this.#ctx.chosen(questionId) !== null)
      throw new SynodError('invalid-input', 'this question is decided already: its outcome is final');
    return record;
  }

  async #keep(vote: MemberVote): Promise<'kept' | 'old' | 'full'> {
    try {
      return await this.#ctx.book.record(vote);
    } catch (error) {
      throw new SynodError('storage-refused', error instanceof Error ? error.message : String(error));
    }
  }

  #request(questionId: string, digest: string, from: string | undefined): void {
    const key = `${questionId}:${digest}`;
    const now = this.#ctx.now();
    if ((this.#requested.get(key) ?? 0) > now - SET_REQUEST_RETRY_MS) return;
    if (this.#requested.size > 1_000) this.#requested.clear();
    this.#requested.set(key, now);
    const peers = new Set([...(from === undefined ? [] : [from]), ...this.#ctx.connectedPeers()]);
    for (const peer of peers)
      this.#ctx.send(peer, { type: 'vote-set-request', question: questionId, digest });
  }
}
