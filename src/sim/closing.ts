import type { DecisionId, NodeId } from '../paxos/index.ts';
import type { Violation } from './oracle.ts';
import { Prng } from './prng.ts';
import type { Scenario } from './scenario.ts';

/**
 * Votes closed by Paxos (src/node/vote-desk.ts), as the simulator plays them: members cast votes
 * (and change them) at random times; each vote reaches each node after its own delay, or late, after
 * the closes; several nodes close at the same moment, each proposing its own view of the votes (by
 * digest), while the usual faults go on. The final tally is the tally of the chosen close's votes.
 *
 * Checked at the end: every node that learned the outcome shows the same final tally; the chosen
 * votes are exactly what its closer held when it closed; and no vote cast after that close counts.
 */
export interface CastVote {
  readonly voter: NodeId;
  readonly option: string;
  /** Newer replaces older, per voter. */
  readonly seq: number;
  readonly castAt: number;
  /** When it reaches each node (after the closes, for some). */
  readonly arrivals: Readonly<Record<NodeId, number>>;
}

export interface ClosingPlan {
  readonly votes: readonly CastVote[];
  /** Nodes closing, and when: several at the same moment, each with its own view of the votes. */
  readonly closes: readonly { readonly node: NodeId; readonly at: number }[];
}

/**
 * Deliberate bug for the negative control: a close's set is read when its outcome is shown rather than
 * fixed when it is proposed, so votes that arrived after the close are counted.
 */
export type ClosingBug = 'set-read-late';

const OPTIONS = ['red', 'green', 'blue'];

/**
 * A scenario whose decisions are closes of votes instead of proposals: the same nodes, network and
 * faults as the seed's chaos scenario, so closing is tested under everything the rest is.
 */
export function withClosing(scenario: Scenario, bug: ClosingBug | null = null): Scenario {
  const rng = new Prng(scenario.seed ^ 0xc1);
  const closing: Record<DecisionId, ClosingPlan> = {};
  for (const [i, d] of scenario.decisions.entries())
    closing[d.id] = planClosing(scenario.seed * 31 + i, scenario.nodes, rng.int(300, 2_500));
  return {
    ...scenario,
    decisions: scenario.decisions.map((d) => ({ ...d, proposals: [] })),
    closing,
    closingBug: bug,
  };
}

/** A plan for one decision, from its own seed (so the other decisions' randomness is untouched). */
export function planClosing(seed: number, nodes: readonly NodeId[], closeAt: number): ClosingPlan {
  const rng = new Prng(seed ^ 0xc105e);
  const votes: CastVote[] = [];
  for (const voter of nodes) {
    const changes = rng.int(1, 3);
    for (let seq = 1; seq <= changes; seq++) {
      // Most votes are cast before the close; some just around it, and some after.
      const castAt = rng.int(0, closeAt + 400);
      const arrivals: Record<NodeId, number> = {};
      for (const node of nodes) arrivals[node] = node === voter ? castAt : castAt + rng.int(1, 300);
      votes.push({
        voter,
        option: rng.pick(OPTIONS),
        seq: seq + (castAt > closeAt ? 10 : 0),
        castAt,
        arrivals,
      });
    }
  }
  const closers = nodes.filter(() => rng.chance(0.6));
  const closes = (closers.length > 0 ? closers : nodes.slice(0, 1)).map((node) => ({
    node,
    at: closeAt + rng.int(0, 20),
  }));
  return { votes, closes };
}

interface HeldSet {
  readonly closer: NodeId;
  readonly closedAt: number;
  readonly votes: readonly CastVote[];
}

/** The votes of one decision as the nodes hold them, the sets its closes committed to, and the checks. */
export class ClosingLayer {
  readonly decision: DecisionId;
  readonly plan: ClosingPlan;
  readonly #bug: ClosingBug | null;
  /** Per node: each voter's newest vote it has received. Durable, like votes.log: crashes keep it. */
  readonly #views = new Map<NodeId, Map<NodeId, CastVote>>();
  /** Sets by the value that names them (the real node's digest), as acceptors keep them on disk. */
  readonly #sets = new Map<string, HeldSet>();

  constructor(decision: DecisionId, plan: ClosingPlan, bug: ClosingBug | null = null) {
    this.decision = decision;
    this.plan = plan;
    this.#bug = bug;
  }

  receive(node: NodeId, vote: CastVote): void {
    const view = this.#views.get(node) ?? new Map<NodeId, CastVote>();
    this.#views.set(node, view);
    const current = view.get(vote.voter);
    if (current === undefined || vote.seq > current.seq) view.set(vote.voter, vote);
  }

  /** The value `node` proposes when it closes at `at`: its own view of the votes, fixed now. */
  close(node: NodeId, at: number): string {
    const votes = [...(this.#views.get(node)?.values() ?? [])].sort((a, b) => (a.voter < b.voter ? -1 : 1));
    const value = `close:${node}:${at}:${votes.map((v) => `${v.voter}=${v.option}#${v.seq}`).join(',')}`;
    this.#sets.set(value, { closer: node, closedAt: at, votes });
    return value;
  }

  /** The final tally a node shows for `value`: option → votes, in a fixed order. */
  tally(value: string, node: NodeId): string {
    const set = this.#sets.get(value);
    if (set === undefined) return 'unknown set';
    const votes = this.#bug === 'set-read-late' ? [...(this.#views.get(node)?.values() ?? [])] : set.votes;
    const counts = new Map<string, number>();
    for (const v of votes) counts.set(v.option, (counts.get(v.option) ?? 0) + 1);
    return [...counts.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([o, n]) => `${o}:${n}`)
      .join(' ');
  }

  /** The checks, given every outcome the nodes reported for this decision. */
  check(
    reported: readonly { readonly node: NodeId; readonly value: string; readonly at: number }[],
  ): Violation[] {
    const violations: Violation[] = [];
    const mine = reported.filter((r) => r.value.startsWith('close:'));
    const tallies = new Map<NodeId, string>();
    for (const r of mine) tallies.set(r.node, this.tally(r.value, r.node));
    if (new Set(tallies.values()).size > 1) {
      violations.push({
        kind: 'agreement',
        decision: this.decision,
        at: mine[mine.length - 1]?.at ?? 0,
        detail: `nodes show different final tallies: ${[...tallies].map(([n, t]) => `${n} ${t}`).join(' | ')}`,
      });
    }
    const chosen = mine[0] === undefined ? undefined : this.#sets.get(mine[0].value);
    if (chosen !== undefined) {
      const late = this.plan.votes.filter(
        (v) => v.castAt > chosen.closedAt && this.#counted(v, chosen, mine),
      );
      if (late.length > 0) {
        violations.push({
          kind: 'validity',
          decision: this.decision,
          at: chosen.closedAt,
          detail: `votes cast after the close count: ${late.map((v) => `${v.voter}=${v.option}#${v.seq}`).join(', ')}`,
        });
      }
    }
    return violations;
  }

  /** Whether a vote is counted in what some node shows for the chosen close. */
  #counted(
    vote: CastVote,
    chosen: HeldSet,
    reported: readonly { readonly node: NodeId; readonly value: string }[],
  ): boolean {
    if (chosen.votes.includes(vote)) return true;
    if (this.#bug !== 'set-read-late') return false;
    return reported.some((r) => this.#views.get(r.node)?.get(vote.voter) === vote);
  }
}
