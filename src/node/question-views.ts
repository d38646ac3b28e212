import type { OutcomeView, QuestionView } from '../api/types.ts';
import { decodeProposal, type Proposal } from '../model/question.ts';
import { quorumSize, type DecisionState } from '../paxos/index.ts';
import type { QuestionRecord } from './catalog.ts';

/**
 * Decoded values, so that listing thousands of questions validates each value once, not per view.
 * Bounded: a value is a few hundred bytes, and the cache starts over when full.
 */
const decoded = new Map<string, Proposal | null>();
const MAX_DECODED = 20_000;

function proposalOf(value: string): Proposal | null {
  let proposal = decoded.get(value);
  if (proposal === undefined) {
    proposal = decodeProposal(value);
    if (decoded.size >= MAX_DECODED) decoded.clear();
    decoded.set(value, proposal);
  }
  return proposal;
}

/** What a view needs to know about the members, besides the question itself. */
export interface ViewContext {
  readonly self: string;
  nameOf(peerId: string): string;
  /** Whether a member is reachable now (for this node: whether it can vote). */
  isOnline(peerId: string): boolean;
}

/** A question as the UI shows it: definition, who can vote now, and the outcome once decided. */
export function questionView(
  record: QuestionRecord,
  decision: DecisionState | undefined,
  ctx: ViewContext,
): QuestionView {
  const { definition } = record;
  // The core knows an outcome a moment before it is on disk; the view shows it once it is (the
  // catalog notes when this node learned it only then), so no page shows what a crash could unsay.
  const chosen = record.decidedAt === null ? null : (decision?.chosen ?? null);
  const proposal = chosen === null ? null : proposalOf(chosen);
  const outcome: OutcomeView | null =
    proposal === null
      ? null
      : {
          option: proposal.option,
          proposedBy: proposal.by,
          proposedByName: ctx.nameOf(proposal.by),
          decidedAt: record.decidedAt,
        };
  const acceptors = definition.acceptors.map((peerId) => ({
    peerId,
    name: ctx.nameOf(peerId),
    online: ctx.isOnline(peerId),
  }));
  const quorum = quorumSize({ acceptors: definition.acceptors, learners: [] });
  const reachable = acceptors.filter((a) => a.online).length;
  const mine = decision?.proposer.proposal ? proposalOf(decision.proposer.proposal) : null;
  return {
    id: definition.id,
    title: definition.title,
    options: definition.options,
    createdBy: definition.createdBy,
    createdByName: ctx.nameOf(definition.createdBy),
    createdAt: definition.createdAt,
    acceptors,
    quorum,
    reachableAcceptors: reachable,
    state: outcome !== null ? 'decided' : reachable >= quorum ? 'open' : 'waiting-for-quorum',
    outcome,
    myProposal: mine?.option ?? null,
  };
}
