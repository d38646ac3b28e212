import {
  DEFAULT_CORE_OPTIONS,
  SynodCore,
  type CoreOptions,
  type DurableDecision,
  type Signer,
} from '../../paxos/index.ts';
import type { StateLog } from '../../storage/index.ts';
import type { QuestionRecord } from '../questions/catalog.ts';
import type { NodeStorage } from './node-storage.ts';
import { PaxosDriver, type DriverHooks } from './paxos-driver.ts';
import { QuestionCatalog, type QuestionLimits } from '../questions/question-catalog.ts';
import { VoteBook, type VoteBookRecord } from '../votes/vote-book.ts';
import { decisionConfigOf } from '../questions/question-voters.ts';

/** A node's durable state, opened and wired: the Paxos core and its driver, the catalog, the votes. */
export interface NodeState {
  readonly paxos: StateLog<DurableDecision>;
  readonly catalogLog: StateLog<QuestionRecord>;
  readonly catalog: QuestionCatalog;
  readonly driver: PaxosDriver;
  readonly votesLog: StateLog<VoteBookRecord>;
  readonly votes: VoteBook;
}

/** What the state tells the rest of the node: the driver's hooks, and how it signs. */
export interface NodeStateHooks extends DriverHooks {
  readonly sign: Signer;
}

/** Recovers the core from the state log and wires the driver, the catalog and the vote book to it. */
export function assembleNodeState(
  self: string,
  opened: NodeStorage,
  options: { readonly coreOptions?: CoreOptions; readonly questionLimits?: QuestionLimits },
  hooks: NodeStateHooks,
): NodeState {
  const core = SynodCore.recover(
    self,
    opened.decisions,
    { now: Date.now(), random: Math.random },
    // The catalog keeps each question's acceptor set and reopens its decision after a restart, and every
    // record of a vote carries the set: the state log need not record a decision when it is opened.
    // One fsync less per question on every member.
    { ...(options.coreOptions ?? DEFAULT_CORE_OPTIONS), recordOnOpen: false },
    hooks.sign,
  );
  const driver = new PaxosDriver(core, opened.paxos, hooks);
  const catalog = new QuestionCatalog(opened.catalog, opened.questions, hooks.failed, options.questionLimits);
  return {
    paxos: opened.paxos,
    catalogLog: opened.catalog,
    catalog,
    driver,
    votesLog: opened.votes,
    votes: new VoteBook(opened.votes, opened.voteRecords),
  };
}

/**
 * Opens the decision of every catalog question that has no state yet (no vote on it yet: the state
 * log records a decision from its first vote on; the others were restored with it), and notes now as
 * the time of a decision whose time did not reach the catalog (a crash between the two writes: the
 * outcome was shown by no one yet). Resolves once that is on disk, before anything is shown.
 */
export async function reopenCatalogQuestions(state: NodeState, now: number): Promise<void> {
  const noted: Promise<unknown>[] = [];
  for (const record of state.catalog.values()) {
    const decision = state.driver.core.decision(record.id);
    if ((decision?.chosen ?? null) !== null && record.decidedAt === null)
      noted.push(state.catalog.markDecided(record.id, now));
    if (decision !== undefined) continue;
    state.driver.input({ kind: 'open', decision: record.id, config: decisionConfigOf(record.definition) });
  }
  await Promise.all(noted);
}

/** Closes the logs (after the driver stopped: nothing new is written). */
export async function closeNodeState(state: NodeState): Promise<void> {
  await state.catalog.flush().catch(() => undefined);
  await state.paxos.close();
  await state.catalogLog.close();
  await state.votesLog.close();
}
