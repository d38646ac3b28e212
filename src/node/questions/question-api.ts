import { randomBytes } from 'node:crypto';
import { inputSchemas, parseInput } from '../../api/schemas.ts';
import {
  SynodError,
  type BidInput,
  type CloseInput,
  type CreateQuestionInput,
  type ProposeInput,
  type ProposeResult,
  type QuestionView,
  type SynodEvent,
  type VoteInput,
} from '../../api/types.ts';
import type { WireMessage } from '../../net/wire.ts';
import type { QuestionRecord } from './catalog.ts';
import type { Member } from '../members/members.ts';
import type { NodeState } from '../durable/node-state.ts';
import { checkProposal, defineQuestion, resultOf } from './question-requests.ts';
import { decisionConfigOf } from './question-voters.ts';
import type { VoteChecks } from '../votes/vote-checks.ts';
import type { VoteDesk } from '../votes/vote-desk.ts';

/** How long `propose` and `close` wait for the outcome when the caller does not say. */
const DEFAULT_WAIT_MS = 10_000;

/** What the question API needs of its node. Each `require…` throws a SynodError saying what is missing. */
export interface QuestionApiContext {
  readonly self: string;
  readonly acceptorsPerQuestion: number;
  requireGroup(): void;
  requireStorage(): NodeState;
  requireChecks(): VoteChecks;
  requireDesk(): VoteDesk;
  members(): readonly Member[];
  /** The group log's epoch this node holds (undefined: the group keeps no log). */
  groupEpoch(): number | undefined;
  connectedPeers(): string[];
  send(peer: string, message: WireMessage): void;
  /** The question as shown: from what is on disk; null while it is not on disk yet. */
  view(id: string): QuestionView | null;
  emit(event: SynodEvent): void;
  /** Resolves when the question is decided here, or after `waitMs`. */
  outcome(questionId: string, waitMs: number): Promise<void>;
  /** The vote desk reschedules its deadlines (a new vote or auction may have one). */
  scheduleDeadlines(): void;
}

/** Asking, proposing, voting, bidding and closing: the calls of SynodApi that act on questions. */
export class QuestionApi {
  readonly #ctx: QuestionApiContext;

  constructor(ctx: QuestionApiContext) {
    this.#ctx = ctx;
  }

  async createQuestion(input: CreateQuestionInput): Promise<QuestionView> {
    const ctx = this.#ctx;
    const request = parseInput(inputSchemas.createQuestion, input);
    ctx.requireGroup();
    const storage = ctx.requireStorage();
    // The same limits as every other member applies to this node's questions.
    const now = Date.now();
    const limit = storage.catalog.limitProblem(ctx.self, now);
    if (limit !== null) throw new SynodError('rate-limited', `${limit}; try again later`);
    const definition = defineQuestion(
      { ...request, id: randomBytes(16).toString('hex') },
      {
        self: ctx.self,
        members: ctx.members(),
        maxAcceptors: ctx.acceptorsPerQuestion,
        now,
        checks: ctx.requireChecks(),
        epoch: ctx.groupEpoch(),
      },
    );
    // On disk in the catalog (one fsync: the state log records the decision with its first vote),
    // then to the other members, before the answer: a proposal made after it reaches them behind the
    // question, on the same stream. A disk that refuses it leaves nothing sent.
    storage.driver.input({ kind: 'open', decision: definition.id, config: decisionConfigOf(definition) });
    await storage.catalog.add(definition).catch((error: unknown) => {
      throw new SynodError('storage-refused', error instanceof Error ? error.message : String(error));
    });
    for (const peer of ctx.connectedPeers())
      ctx.send(peer, { type: 'question', question: definition, outcome: null });
    const view = this.#view(definition.id);
    ctx.emit({ type: 'question', question: view });
    ctx.scheduleDeadlines();
    return view;
  }

  async vote(input: VoteInput): Promise<QuestionView> {
    const { questionId, option, waitMs } = parseInput(inputSchemas.vote, input);
    return this.#cast(questionId, option, null, waitMs ?? 0);
  }

  async bid(input: BidInput): Promise<QuestionView> {
    const { questionId, option, amount, waitMs } = parseInput(inputSchemas.bid, input);
    return this.#cast(questionId, option, amount, waitMs ?? 0);
  }

  async #cast(
    questionId: string,
    option: string | undefined,
    amount: number | null,
    waitMs: number,
  ): Promise<QuestionView> {
    this.#ctx.requireGroup();
    this.#shownRecord(questionId);
    // The vote is on disk when cast returns: the view that says so can be shown.
    await this.#ctx.requireDesk().cast(questionId, option, amount);
    // Then, if asked, until a majority of the acceptors hold it (its receipts are on disk too).
    const end = Date.now() + waitMs;
    let view = this.#view(questionId);
    while (Date.now() < end && (view.myVote?.receipts ?? 0) < (view.myVote?.needed ?? 0)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = this.#view(questionId);
    }
    return view;
  }

  /**
   * Closes a vote or an auction: proposes, through Paxos, this node's view of the votes. Whichever
   * close Paxos chooses is the final tally on every node.
   */
  async close(input: CloseInput): Promise<ProposeResult> {
    const { questionId, waitMs } = parseInput(inputSchemas.close, input);
    this.#ctx.requireGroup();
    const storage = this.#ctx.requireStorage();
    this.#shownRecord(questionId);
    // Closed already: the outcome is the answer, as for a late proposal.
    const decision = storage.driver.core.decision(questionId);
    if ((decision?.chosen ?? null) !== null) return this.#result(questionId, null, storage);
    const value = await this.#ctx.requireDesk().closeValue(questionId, decision?.proposer.proposal ?? null);
    const outcome = this.#ctx.outcome(questionId, waitMs ?? DEFAULT_WAIT_MS);
    storage.driver.input({ kind: 'propose', decision: questionId, value });
    await outcome;
    return this.#result(questionId, null, storage);
  }

  async propose(input: ProposeInput): Promise<ProposeResult> {
    const { questionId, option, waitMs } = parseInput(inputSchemas.propose, input);
    this.#ctx.requireGroup();
    const storage = this.#ctx.requireStorage();
    const record = this.#shownRecord(questionId);
    const decision = storage.driver.core.decision(questionId);
    checkProposal(record.definition, decision, option);
    if ((decision?.chosen ?? null) === null) {
      const outcome = this.#ctx.outcome(questionId, waitMs ?? DEFAULT_WAIT_MS);
      storage.driver.input({
        kind: 'propose',
        decision: questionId,
        value: this.#ctx.requireChecks().propose(record.definition, option, this.#ctx.self),
      });
      await outcome;
    }
    return this.#result(questionId, option, storage);
  }

  /**
   * Where a proposal or a close stands, once the proposal is on disk: "pending" promises that it goes
   * on, which a crash before its write would take back.
   */
  async #result(questionId: string, proposed: string | null, storage: NodeState): Promise<ProposeResult> {
    await storage.driver.settled();
    // An outcome known by then is announced once its time is on disk too (see the router's 'decided').
    await storage.catalog.written(questionId);
    return resultOf(this.#view(questionId), this.#ctx.self, proposed);
  }

  /** A question this node has shown (on disk): the API knows no other. */
  #shownRecord(questionId: string): QuestionRecord {
    const record = this.#ctx.requireStorage().catalog.shown(questionId);
    if (record === undefined) throw new SynodError('not-found', `there is no question ${questionId}`);
    return record;
  }

  #view(questionId: string): QuestionView {
    const view = this.#ctx.view(questionId);
    if (view === null) throw new SynodError('not-found', `there is no question ${questionId}`);
    return view;
  }
}
