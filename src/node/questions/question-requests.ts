import { SynodError, type ProposeResult, type QuestionView } from '../../api/types.ts';
import {
  decodeProposal,
  isAllowedOption,
  MAX_DEADLINE_MS,
  type DecisionRule,
  type QuestionDefinition,
} from '../../model/question.ts';
import type { DecisionState } from '../../paxos/index.ts';
import type { Member } from '../members/members.ts';
import { chooseVoters } from './question-voters.ts';
import type { VoteChecks } from '../votes/vote-checks.ts';

/** A question as asked through the API, already validated by its schema. */
export interface QuestionRequest {
  readonly id: string;
  readonly title: string;
  readonly options: readonly string[];
  readonly allowOther?: boolean | undefined;
  readonly confirmAlone?: boolean | undefined;
  readonly rule?: DecisionRule | undefined;
  readonly deadline?: number | null | undefined;
}

/**
 * The signed definition of a question this node asks: its rule and deadline checked, its acceptors
 * chosen among the members online now, and the asker's confirmation required when it would decide
 * alone. Throws a SynodError the user can act on.
 */
export function defineQuestion(
  request: QuestionRequest,
  ctx: {
    readonly self: string;
    readonly members: readonly Member[];
    readonly maxAcceptors: number;
    readonly now: number;
    readonly checks: VoteChecks;
    /** The group log's epoch this node holds, in a group that keeps one. */
    readonly epoch?: number | undefined;
  },
): QuestionDefinition {
  const { self, members, now } = ctx;
  const rule = request.rule ?? 'quick';
  const deadline = request.deadline ?? null;
  if (rule === 'quick' && deadline !== null)
    throw new SynodError('invalid-input', 'a quick decision has no deadline: choose a vote or sealed bids');
  if (deadline !== null && (deadline < now + 10_000 || deadline > now + MAX_DEADLINE_MS))
    throw new SynodError(
      'invalid-input',
      'the deadline must be at least 10 seconds and at most 90 days away',
    );
  const { acceptors, learners, voters } = chooseVoters(self, members, ctx.maxAcceptors, now);
  if (acceptors.length === 1 && request.confirmAlone !== true) {
    // Paxos would decide it with this node's vote alone: the asker must know, and choose to.
    const others = members.filter((m) => m.peerId !== self).length;
    const online = members.filter((m) => m.peerId !== self && m.online).length;
    throw new SynodError(
      'needs-confirmation',
      others === 0
        ? 'Only you will decide this: nobody else is in the group yet. Ask anyway?'
        : online > 0
          ? `Only you will decide this: the ${online} members online now joined in the last day, and the members from before them are away, so your laptop alone settles it. Ask anyway?`
          : `Only you will decide this: none of the other ${others} members is online now, so your laptop alone settles it. Ask anyway?`,
    );
  }
  return ctx.checks.signDefinition({
    id: request.id,
    title: request.title,
    options: [...request.options],
    // Listed options only, unless the asker allows others; a question without options takes any.
    allowOther: request.allowOther ?? request.options.length === 0,
    createdBy: self,
    createdAt: now,
    acceptors,
    learners,
    // Only a vote or an auction has voters; a quick decision is decided by a proposal.
    ...(rule === 'quick' ? {} : { voters }),
    rule,
    deadline,
    ...(ctx.epoch === undefined ? {} : { epoch: ctx.epoch }),
  });
}

/** Why this node may not propose `option` on the question now, as an error the user can act on. */
export function checkProposal(
  definition: QuestionDefinition,
  decision: DecisionState | undefined,
  option: string,
): void {
  if (definition.rule !== 'quick') {
    throw new SynodError(
      'invalid-input',
      definition.rule === 'vote'
        ? 'this question is decided by vote: vote, and it is decided when it is closed'
        : 'this question is an auction: place a bid, and it is decided when it is closed',
    );
  }
  if (!isAllowedOption(definition, option)) {
    throw new SynodError(
      'invalid-input',
      `"${option}" is not one of this question's options (${definition.options.join(', ')})`,
    );
  }
  const already = decision?.proposer.proposal ? decodeProposal(decision.proposer.proposal) : null;
  if (decision?.chosen === null && already !== null && already.option !== option) {
    throw new SynodError(
      'invalid-input',
      `you already proposed "${already.option}" for this question; it is still being decided`,
    );
  }
}

/**
 * Where a proposal (`proposed`: its option) or a close (null) stands: decided, and whether it went
 * this node's way, or pending.
 */
export function resultOf(view: QuestionView, self: string, proposed: string | null): ProposeResult {
  if (view.outcome === null) {
    return {
      state: 'pending',
      message:
        `not decided yet: ${view.reachableAcceptors} of its ${view.acceptors.length} voters are online, ` +
        `${view.quorum} are needed. It goes on; the outcome will show when the group decides.`,
    };
  }
  const won =
    proposed === null
      ? view.outcome.youWon === true
      : view.outcome.proposedBy === self && view.outcome.option === proposed;
  return { state: 'decided', outcome: view.outcome, won };
}
