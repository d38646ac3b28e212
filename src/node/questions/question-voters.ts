import { LIMITS } from '../../model/limits.ts';
import type { QuestionDefinition } from '../../model/question.ts';
import type { DecisionConfig } from '../../paxos/index.ts';
import type { Member } from '../members/members.ts';

/**
 * A member this node met less than this long ago is new: new members never hold a majority of a
 * question's seats while members known before them are online (see chooseVoters).
 */
export const NEW_MEMBER_MS = 24 * 60 * 60_000;

/**
 * Who decides a new question, who learns its outcome by name, and who may vote on it, all fixed now
 * and recorded in its signed definition. The acceptors are the asking node and the members connected
 * at this moment that this node has known longest (`maxAcceptors` in all): a seat goes to a member
 * that was there before, never to a key minted or ground for it a moment ago, whatever its peer id.
 * Members met in the last NEW_MEMBER_MS fill seats only while they stay fewer than the others, so
 * that one person who brings many identities cannot outvote the members who were there first, even
 * while those are away (in a group whose other members are all new, nobody was there first, and they
 * fill the seats). The voters are
 * every member this node knows (known longest first, LIMITS.maxVoters in all); the members seen most
 * recently learn the outcome by name (64 at most); every other member hears it in the catalog exchange
 * when it connects.
 */
export function chooseVoters(
  self: string,
  members: readonly Member[],
  maxAcceptors: number,
  now = Date.now(),
): { acceptors: string[]; learners: string[]; voters: string[] } {
  const others = members.filter((m) => m.peerId !== self).sort(knownLongestFirst);
  const online = others.filter((m) => m.online);
  const isNew = (m: Member) => m.firstSeen !== null && m.firstSeen > now - NEW_MEMBER_MS;
  const acceptors = [self, ...online.filter((m) => !isNew(m)).map((m) => m.peerId)].slice(0, maxAcceptors);
  // A group whose other members are all new: nobody was there first, and they fill the seats.
  const allNew = others.every(isNew);
  const newSeats = allNew ? maxAcceptors - 1 : acceptors.length - 1;
  const newcomers = online.filter(isNew).map((m) => m.peerId);
  acceptors.push(...newcomers.slice(0, Math.max(0, Math.min(newSeats, maxAcceptors - acceptors.length))));
  const learners = others
    .filter((m) => !acceptors.includes(m.peerId))
    .sort((a, b) => Number(b.online) - Number(a.online) || (b.lastSeen ?? 0) - (a.lastSeen ?? 0))
    .slice(0, LIMITS.maxLearners)
    .map((m) => m.peerId);
  const voters = [...acceptors, ...others.map((m) => m.peerId).filter((p) => !acceptors.includes(p))].slice(
    0,
    LIMITS.maxVoters,
  );
  return { acceptors, learners, voters };
}

/** Members known since longest first (a member from before this was noted first of all), then by id. */
function knownLongestFirst(a: Member, b: Member): number {
  return (
    (a.firstSeen ?? -1) - (b.firstSeen ?? -1) || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
  );
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
