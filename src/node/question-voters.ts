import { LIMITS } from '../model/limits.ts';
import type { QuestionDefinition } from '../model/question.ts';
import type { DecisionConfig } from '../paxos/index.ts';
import type { Member } from './members.ts';

/**
 * Who votes on a new question and who learns its outcome by name. The acceptors are fixed now and
 * recorded with the question: the asking node and the members connected at this moment (in peer id
 * order, `maxAcceptors` in all). The members seen most recently learn it by name (64 at most); every
 * other member hears the outcome in the catalog exchange when it connects.
 */
export function chooseVoters(
  self: string,
  members: readonly Member[],
  maxAcceptors: number,
): { acceptors: string[]; learners: string[] } {
  const online = members
    .filter((m) => m.online && m.peerId !== self)
    .map((m) => m.peerId)
    .sort();
  const acceptors = [self, ...online].slice(0, maxAcceptors);
  const learners = members
    .filter((m) => m.peerId !== self && !acceptors.includes(m.peerId))
    .sort((a, b) => Number(b.online) - Number(a.online) || (b.lastSeen ?? 0) - (a.lastSeen ?? 0))
    .slice(0, LIMITS.maxLearners)
    .map((m) => m.peerId);
  return { acceptors, learners };
}

/**
 * The Paxos configuration of a question, all from its signed definition: its voters, and its asker as
 * the holder of the first ballot (round 0, which needs no phase 1).
 */
export function decisionConfigOf(definition: QuestionDefinition): DecisionConfig {
  return {
    acceptors: definition.acceptors,
    learners: definition.learners,
    firstProposer: definition.createdBy,
  };
}
