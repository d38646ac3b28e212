import type {
  CertificateView,
  CloseView,
  OutcomeView,
  QuestionView,
  SafetyViolationView,
  TallyView,
} from '../../api/types.ts';
import { decodeProposal, type Proposal, type QuestionDefinition } from '../../model/question.ts';
import { decodeClose, standingVotes, tally, type MemberVote, type Tally } from '../../model/rules.ts';
import { quorumSize, type Certificate, type Conflict, type DurableDecision } from '../../paxos/index.ts';
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
  /** The standing votes this node holds for the question. */
  votes(question: string): readonly MemberVote[];
  /** How many acceptors' receipts this node holds for its own vote whose signature is `vote`. */
  receipts(question: string, vote: string): number;
  /** The votes a close committed to, if this node holds them. */
  voteSet(question: string, digest: string): readonly MemberVote[] | undefined;
}

/**
 * A question as the UI shows it: definition, who can vote now, and the outcome once decided. Built
 * from what is on disk only — the catalog's record as written and the decision's last durable record
 * — so that nothing a page, an event or an API answer says can be taken back by a crash.
 */
export function questionView(
  record: QuestionRecord,
  decision: DurableDecision | undefined,
  ctx: ViewContext,
): QuestionView {
  const { definition } = record;
  // The catalog notes when this node learned the outcome once the outcome is on disk; an outcome is
  // shown once that note is on disk too, so that the time shown is never taken back either.
  const chosen = record.decidedAt === null ? null : (decision?.chosen ?? null);
  const outcome =
    chosen === null
      ? null
      : definition.rule === 'quick'
        ? proposalOutcome(chosen, record, decision, ctx)
        : closeOutcome(chosen, record, decision, ctx);
  const standing = definition.rule === 'quick' ? [] : standingVotes(ctx.votes(definition.id));
  const mineVoted = standing.find((v) => v.by === ctx.self);
  const acceptors = definition.acceptors.map((peerId) => ({
    peerId,
    name: ctx.nameOf(peerId),
    online: ctx.isOnline(peerId),
  }));
  const quorum = quorumSize({ acceptors: definition.acceptors, learners: [] });
  const reachable = acceptors.filter((a) => a.online).length;
  const mine = decision?.proposal ? proposalOf(decision.proposal) : null;
  return {
    id: definition.id,
    title: definition.title,
    options: definition.options,
    allowOther: definition.allowOther,
    createdBy: definition.createdBy,
    createdByName: ctx.nameOf(definition.createdBy),
    createdAt: definition.createdAt,
    rule: definition.rule,
    deadline: definition.deadline,
    tally: definition.rule === 'quick' ? null : runningTally(definition, standing, ctx),
    myVote:
      mineVoted === undefined
        ? null
        : {
            option: mineVoted.option,
            amount: mineVoted.amount,
            receipts: ctx.receipts(definition.id, mineVoted.signature),
            needed: quorum,
          },
    acceptors,
    quorum,
    reachableAcceptors: reachable,
    state: outcome !== null ? 'decided' : reachable >= quorum ? 'open' : 'waiting-for-quorum',
    outcome,
    safetyViolation: violationView(decision?.conflict ?? null, ctx),
    myProposal: mine?.option ?? null,
  };
}

function proposalOutcome(
  chosen: string,
  record: QuestionRecord,
  decision: DurableDecision | undefined,
  ctx: ViewContext,
): OutcomeView | null {
  const proposal = proposalOf(chosen);
  if (proposal === null) return null;
  const mine = decision?.proposal ? proposalOf(decision.proposal) : null;
  return {
    option: proposal.option,
    proposedBy: proposal.by,
    proposedByName: ctx.nameOf(proposal.by),
    close: null,
    youWon: mine === null ? null : proposal.by === ctx.self,
    decidedAt: record.decidedAt,
    certificate: certificateView(decision?.certificate ?? null, ctx),
  };
}

/** A vote or an auction: the winner follows from the votes of the close Paxos chose. */
function closeOutcome(
  chosen: string,
  record: QuestionRecord,
  decision: DurableDecision | undefined,
  ctx: ViewContext,
): OutcomeView | null {
  const close = decodeClose(chosen);
  if (close === null) return null;
  const { definition } = record;
  const votes = ctx.voteSet(definition.id, close.digest);
  const result = votes === undefined ? null : tally(definition, votes);
  const mine = votes?.find((v) => v.by === ctx.self);
  const winner = result?.winner ?? null;
  const view: CloseView = {
    closedAt: close.at,
    tally: result === null ? null : tallyView(result, false, ctx),
    winningBid:
      winner === null || winner.by === null || winner.amount === null
        ? null
        : { member: named(winner.by, ctx), amount: winner.amount },
  };
  const youWon =
    mine === undefined || result === null
      ? null
      : definition.rule === 'sealed-bid'
        ? winner?.by === ctx.self
        : winner?.option === mine.option;
  return {
    option: winner?.option ?? null,
    proposedBy: close.by,
    proposedByName: ctx.nameOf(close.by),
    close: view,
    youWon,
    decidedAt: record.decidedAt,
    certificate: certificateView(decision?.certificate ?? null, ctx),
  };
}

/** Before the close: a vote's running tally; an auction's bids only counted, never shown. */
function runningTally(
  definition: QuestionDefinition,
  standing: readonly MemberVote[],
  ctx: ViewContext,
): TallyView {
  if (definition.rule === 'sealed-bid') return { counted: standing.length, sealed: true, lines: [] };
  return tallyView(tally(definition, standing), false, ctx);
}

function tallyView(result: Tally, sealed: boolean, ctx: ViewContext): TallyView {
  return {
    counted: result.counted,
    sealed,
    lines: result.lines.map((line) => ({
      option: line.option,
      score: line.score,
      members: line.members.map((m) => named(m, ctx)),
    })),
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
