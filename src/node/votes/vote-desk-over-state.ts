import type { NodeState } from '../durable/node-state.ts';
import { VoteDesk, type VoteDeskContext } from './vote-desk.ts';

/** What the vote desk needs of the rest of the node: its network, its checks, its views and closes. */
export type VoteDeskParts = Pick<
  VoteDeskContext,
  'self' | 'log' | 'checks' | 'connectedPeers' | 'send' | 'rejected' | 'changed' | 'close' | 'redeliver'
>;

/** The vote desk over a group's state on disk: what it reads of votes, questions and Paxos, from there. */
export function voteDeskOver(storage: NodeState, parts: VoteDeskParts): VoteDesk {
  const { catalog, driver, votes } = storage;
  const chosen = (id: string) => driver.core.decision(id)?.chosen ?? null;
  return new VoteDesk({
    ...parts,
    book: votes,
    question: (id) => catalog.get(id),
    openRuleQuestions: () => [...catalog.ruleQuestions()].filter((r) => chosen(r.id) === null),
    chosen,
    proposal: (id) => driver.core.decision(id)?.proposer.proposal ?? null,
    accepted: (id) => driver.core.decision(id)?.acceptor.accepted?.value ?? null,
    revise: (id, value) => driver.input({ kind: 'revise', decision: id, value }),
    now: () => Date.now(),
  });
}

/**
 * What the desk takes up again at start: the timer of the nearest deadline, and the votes of every
 * vote decided while this node lacked them (a crash, or the votes never came), asked for again.
 */
export function resumeVoteDesk(storage: NodeState, desk: VoteDesk): void {
  desk.schedule();
  for (const record of storage.catalog.ruleQuestions()) {
    const chosen = storage.driver.core.decision(record.id)?.chosen ?? null;
    if (chosen !== null) desk.wantChosenSet(record.definition, chosen);
  }
}
