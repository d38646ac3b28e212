import type { CertificateView, OutcomeView, QuestionView, SafetyViolationView } from '../api/types.ts';
import { decodeProposal, type Proposal } from '../model/question.ts';
import { quorumSize, type Certificate, type Conflict, type DecisionState } from '../paxos/index.ts';
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
          certificate: certificateView(decision?.certificate ?? null, ctx),
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
    allowOther: definition.allowOther,
    createdBy: definition.createdBy,
    createdByName: ctx.nameOf(definition.createdBy),
    createdAt: definition.createdAt,
    acceptors,
    quorum,
    reachableAcceptors: reachable,
    state: outcome !== null ? 'decided' : reachable >= quorum ? 'open' : 'waiting-for-quorum',
    outcome,
    safetyViolation: violationView(decision?.conflict ?? null, ctx),
    myProposal: mine?.option ?? null,
  };
}

function named(peerId: string, ctx: ViewContext): { peerId: string; name: string } {
  return { peerId, name: ctx.nameOf(peerId) };
}

function certificateView(certificate: Certificate | null, ctx: ViewContext): CertificateView | null {
  if (certificate === null) return null;
  return {
    ballot: certificate.ballot,
    acceptedBy: certificate.accepted.map((a) => named(a.acceptor, ctx)),
    proof: certificate,
  };
}

function violationView(conflict: Conflict | null, ctx: ViewContext): SafetyViolationView | null {
  if (conflict === null) return null;
  const other = proposalOf(conflict.value);
  return {
    otherOption: other?.option ?? null,
    otherProposedBy: other?.by ?? null,
    liars: conflict.liars.map((p) => named(p, ctx)),
    signedBoth: conflict.signedBoth.map((p) => named(p, ctx)),
    otherCertificate: conflict.certificate,
  };
}
