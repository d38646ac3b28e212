/**
 * The soak's record of what happened: what each node said (an API answer, an event, a poll of its
 * questions) and what was done to it. The checker reads nothing else, so it can be tested alone.
 *
 * Every entry of one node is stamped by that node's relay (one process, one thread) with a sequence
 * number, so that "this poll was sent after that answer arrived" is exact even within a millisecond.
 */
import type {
  DecisionRule,
  OutcomeView,
  ProposeResult,
  QuestionView,
  TallyView,
} from '../../src/api/types.ts';

/** An outcome as a node shows it, reduced to what must agree and what must last. */
export interface ShownOutcome {
  /**
   * What Paxos chose: the proposal (who, which option) of a quick question, the close (who, when) of
   * a vote or an auction. Two nodes showing two keys for one question disagree.
   */
  readonly key: string;
  readonly option: string | null;
  readonly decidedAt: number | null;
  /** The final tally and winning bid of a close, canonical; null for quick, or while being fetched. */
  readonly tally: string | null;
}

/** One question as a node shows it. */
export interface Shown {
  readonly id: string;
  readonly rule: DecisionRule;
  readonly outcome: ShownOutcome | null;
  /** This node's own standing vote or bid. */
  readonly myVote: string | null;
  /** The node holds two certificates for different outcomes (it says safety was broken). */
  readonly conflict: boolean;
}

/** When a relay sent or received something: its own order, and the wall clock (ms). */
export interface Stamp {
  readonly seq: number;
  readonly at: number;
}

export type Entry =
  /** An answer or an event: what the node says about one question (the rest of it is unknown). */
  | {
      readonly kind: 'said';
      readonly node: number;
      readonly stamp: Stamp;
      readonly via: string;
      readonly shown: Shown;
    }
  /** The outcome in the answer to a proposal or a close (the answer names no other field). */
  | {
      readonly kind: 'said-outcome';
      readonly node: number;
      readonly stamp: Stamp;
      readonly via: string;
      readonly question: string;
      readonly outcome: ShownOutcome;
    }
  /** The whole list of a node's questions: what it does not show, it does not know. */
  | {
      readonly kind: 'poll';
      readonly node: number;
      /** When the request left: whatever the node had said before this, it must still show. */
      readonly sent: Stamp;
      readonly stamp: Stamp;
      readonly questions: readonly Shown[];
      /** The first poll after a restart, made while the node could reach nobody: its disk speaks. */
      readonly afterRestart: boolean;
    }
  /** This node asked the question (its createQuestion was answered). */
  | { readonly kind: 'asked'; readonly node: number; readonly stamp: Stamp; readonly question: string }
  /** The daemon ended: killed by the soak (at a random moment, or right after an answer or an event), or by itself. */
  | {
      readonly kind: 'killed';
      readonly node: number;
      readonly at: number;
      readonly cause: 'random' | 'answer' | 'event' | 'itself';
    }
  /** Every fault is over and every node is up and reachable: convergence is due within the window. */
  | { readonly kind: 'healed'; readonly at: number };

/** The outcome's key (see ShownOutcome). */
export function outcomeKey(rule: DecisionRule, outcome: OutcomeView): string {
  return rule === 'quick'
    ? `proposal of ${outcome.option ?? '?'} by ${outcome.proposedBy}`
    : `close by ${outcome.proposedBy} at ${outcome.close?.closedAt ?? '?'}`;
}

function tallyText(tally: TallyView): string {
  return tally.lines
    .map((l) => `${l.option}=${l.score}[${l.members.map((m) => m.peerId).join(',')}]`)
    .sort()
    .join(' ');
}

export function shownOutcome(rule: DecisionRule, outcome: OutcomeView): ShownOutcome {
  const close = outcome.close;
  const tally =
    close === null || close.tally === null
      ? null
      : `${tallyText(close.tally)}; winner ${outcome.option ?? 'none'}` +
        (close.winningBid === null
          ? ''
          : ` with ${close.winningBid.amount} by ${close.winningBid.member.peerId}`);
  return { key: outcomeKey(rule, outcome), option: outcome.option, decidedAt: outcome.decidedAt, tally };
}

export function shown(view: QuestionView): Shown {
  return {
    id: view.id,
    rule: view.rule,
    outcome: view.outcome === null ? null : shownOutcome(view.rule, view.outcome),
    myVote:
      view.myVote === null
        ? null
        : `${view.myVote.option}${view.myVote.amount === null ? '' : ` ${view.myVote.amount}`}`,
    conflict: view.safetyViolation !== null,
  };
}

/** The outcome in an answer to a proposal or a close, if it says decided. */
export function answeredOutcome(rule: DecisionRule, result: ProposeResult): ShownOutcome | null {
  return result.state === 'decided' ? shownOutcome(rule, result.outcome) : null;
}
