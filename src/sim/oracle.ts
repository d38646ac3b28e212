import {
  formatBallot,
  quorumSize,
  type Ballot,
  type DecisionConfig,
  type DecisionId,
  type NodeId,
  type SynodCore,
  type Value,
} from '../paxos/index.ts';

export type ViolationKind =
  | 'agreement' // two values chosen for one decision, or learners disagree
  | 'validity' // a value chosen that nobody proposed
  | 'unchosen-learned' // a node reported an outcome no quorum had accepted
  | 'durability' // a reported outcome was gone after a restart
  | 'ballot-reuse' // one ballot carried two values: a proposal number was used twice
  | 'liveness'; // after healing, a decision was not learned in time

export interface Violation {
  readonly kind: ViolationKind;
  readonly decision: DecisionId;
  readonly at: number;
  readonly detail: string;
}

/**
 * Watches an execution from outside the nodes and checks Paxos's safety properties after every step.
 * "Chosen" is judged from what acceptors actually said (every Accepted that left an acceptor), with
 * the strict-majority quorum of the decision's fixed acceptor set — not from what nodes believe.
 */
export class Oracle {
  readonly violations: Violation[] = [];
  readonly #configs = new Map<DecisionId, DecisionConfig>();
  readonly #proposed = new Map<DecisionId, Set<Value>>();
  readonly #acceptances = new Map<DecisionId, Map<string, { value: Value; acceptors: Set<NodeId> }>>();
  readonly #chosen = new Map<DecisionId, Value>();
  readonly #chosenAt = new Map<DecisionId, number>();
  /** The value each ballot's Accept carried, per decision. */
  readonly #ballotValues = new Map<DecisionId, Map<string, Value>>();
  /** What each node reported as decided. */
  readonly #reported = new Map<DecisionId, Map<NodeId, Value>>();

  constructor(decisions: readonly { readonly id: DecisionId; readonly config: DecisionConfig }[]) {
    for (const d of decisions) this.#configs.set(d.id, d.config);
  }

  chosen(decision: DecisionId): Value | undefined {
    return this.#chosen.get(decision);
  }

  /** When the decision's value was first chosen: a quorum had accepted it (undefined if never). */
  chosenAt(decision: DecisionId): number | undefined {
    return this.#chosenAt.get(decision);
  }

  onProposed(decision: DecisionId, value: Value): void {
    const set = this.#proposed.get(decision) ?? new Set();
    set.add(value);
    this.#proposed.set(decision, set);
  }

  /** An acceptor sent Accepted(ballot, value): it has accepted that proposal, whatever happens to it later. */
  onAcceptedSent(at: number, decision: DecisionId, acceptor: NodeId, ballot: Ballot, value: Value): void {
    const config = this.#configs.get(decision);
    if (config === undefined || !config.acceptors.includes(acceptor)) return;
    const byBallot = this.#acceptances.get(decision) ?? new Map();
    this.#acceptances.set(decision, byBallot);
    const key = formatBallot(ballot);
    const entry = byBallot.get(key) ?? { value, acceptors: new Set<NodeId>() };
    byBallot.set(key, entry);
    if (entry.value !== value) {
      // One ballot with two values: its acceptors are counted apart, per value.
      const split = `${key}#${value}`;
      const other = byBallot.get(split) ?? { value, acceptors: new Set<NodeId>() };
      byBallot.set(split, other);
      other.acceptors.add(acceptor);
      this.#checkChosen(at, decision, config, other.acceptors, value, key);
      return;
    }
    entry.acceptors.add(acceptor);
    this.#checkChosen(at, decision, config, entry.acceptors, value, key);
  }

  /**
   * A proposer sent Accept(ballot, value). A ballot belongs to one proposer and carries one value; two
   * values mean the proposal number was reused (after a restart that forgot it). Acceptors refuse a
   * second value at a ballot they accepted, so this may never become two outcomes: checked here, as
   * the rule it is.
   */
  onAcceptSent(at: number, decision: DecisionId, ballot: Ballot, value: Value): void {
    const byBallot = this.#ballotValues.get(decision) ?? new Map<string, Value>();
    this.#ballotValues.set(decision, byBallot);
    const key = formatBallot(ballot);
    const earlier = byBallot.get(key);
    if (earlier === undefined) byBallot.set(key, value);
    else if (earlier !== value)
      this.#violate('ballot-reuse', decision, at, `ballot ${key} carried ${earlier}, then ${value}`);
  }

  /** A node reported an outcome to its user (after persisting it). */
  onReported(at: number, node: NodeId, decision: DecisionId, value: Value): void {
    const chosen = this.#chosen.get(decision);
    if (chosen === undefined) {
      this.#violate('unchosen-learned', decision, at, `${node} reported ${value}, which no quorum accepted`);
    } else if (chosen !== value) {
      this.#violate('agreement', decision, at, `${node} reported ${value}, but ${chosen} was chosen`);
    }
    const reports = this.#reported.get(decision) ?? new Map<NodeId, Value>();
    this.#reported.set(decision, reports);
    for (const [other, otherValue] of reports) {
      if (otherValue !== value) {
        this.#violate(
          'agreement',
          decision,
          at,
          `${node} reported ${value}, ${other} reported ${otherValue}`,
        );
      }
    }
    reports.set(node, value);
  }

  /** After a restart, every outcome the node reported before must still be in its recovered state. */
  onRecovered(at: number, node: NodeId, core: SynodCore): void {
    for (const [decision, reports] of this.#reported) {
      const reported = reports.get(node);
      if (reported === undefined) continue;
      const recovered = core.decision(decision)?.chosen ?? null;
      if (recovered !== reported) {
        this.#violate(
          'durability',
          decision,
          at,
          `${node} reported ${reported} but recovered ${recovered ?? 'nothing'}`,
        );
      }
    }
  }

  onLivenessFailure(at: number, decision: DecisionId, detail: string): void {
    this.#violate('liveness', decision, at, detail);
  }

  #checkChosen(
    at: number,
    decision: DecisionId,
    config: DecisionConfig,
    acceptors: ReadonlySet<NodeId>,
    value: Value,
    ballot: string,
  ): void {
    if (acceptors.size < quorumSize(config)) return;
    if (!this.#proposed.get(decision)?.has(value)) {
      this.#violate('validity', decision, at, `${value} was chosen in ballot ${ballot} but never proposed`);
    }
    const earlier = this.#chosen.get(decision);
    if (earlier === undefined) {
      this.#chosen.set(decision, value);
      this.#chosenAt.set(decision, at);
    } else if (earlier !== value) {
      this.#violate(
        'agreement',
        decision,
        at,
        `${value} was chosen in ballot ${ballot} after ${earlier} had been chosen`,
      );
    }
  }

  #violate(kind: ViolationKind, decision: DecisionId, at: number, detail: string): void {
    this.violations.push({ kind, decision, at, detail });
  }
}
