import type { DecisionId, NodeId } from '../paxos/index.ts';
import type { Violation } from './oracle.ts';
import { Prng } from './prng.ts';
import type { Scenario } from './scenario.ts';

/**
 * Votes closed by Paxos (src/node/votes/vote-desk.ts), as the simulator plays them: members cast votes
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
  /**
   * A member that lies when it closes: its close leaves out others' votes, keeps replaced ones, or
   * counts voters that do not exist; as an acceptor it accepts anything. (Absent: everyone is honest.)
   */
  readonly liar?: NodeId | undefined;
}

/**
 * Deliberate bugs for the negative controls: a close's set is read when its outcome is shown rather
 * than fixed when it is proposed, so votes that arrived after the close are counted (set-read-late);
 * acceptors take a close whatever it leaves out (accept-omissions).
 */
export type ClosingBug = 'set-read-late' | 'accept-omissions';

const OPTIONS = ['red', 'green', 'blue'];

/**
 * A scenario whose decisions are closes of votes instead of proposals: the same nodes, network and
 * faults as the seed's chaos scenario, so closing is tested under everything the rest is.
 */
export function withClosing(
  scenario: Scenario,
  bug: ClosingBug | null = null,
  options: { readonly liar?: boolean } = {},
): Scenario {
  const rng = new Prng(scenario.seed ^ 0xc1);
  const closing: Record<DecisionId, ClosingPlan> = {};
  for (const [i, d] of scenario.decisions.entries()) {
    const plan = planClosing(scenario.seed * 31 + i, scenario.nodes, rng.int(300, 2_500));
    closing[d.id] = options.liar === true ? withLiar(plan, scenario.nodes) : plan;
  }
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

/**
 * The plan with a lying closer: one of the nodes that acceptors may hear from, closing first and
 * again; an honest node closes too, a little later, so that the vote can be decided without it.
 */
function withLiar(plan: ClosingPlan, nodes: readonly NodeId[]): ClosingPlan {
  const first = plan.closes[0];
  const liar = nodes[nodes.length - 1];
  const honest = nodes.find((n) => n !== liar);
  if (first === undefined || liar === undefined || honest === undefined) return plan;
  return {
    ...plan,
    liar,
    closes: [
      { node: liar, at: first.at - 5 },
      ...plan.closes.filter((c) => c.node !== liar),
      { node: honest, at: first.at + 40 },
    ],
  };
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
  /** Who may vote: the nodes (a close that counts anyone else is refused). */
  readonly #members: ReadonlySet<NodeId>;
  /** Per honest acceptance of a close: the votes it left out that the acceptor held then. */
  readonly #acceptances: { node: NodeId; value: string; omitted: readonly CastVote[] }[] = [];
  readonly #admitted = new Map<string, readonly CastVote[]>();
  /** When each node took each voter's newest vote, and first saw each close (its set, in the node). */
  readonly #receivedAt = new Map<string, number>();
  readonly #seenAt = new Map<string, number>();

  constructor(
    decision: DecisionId,
    plan: ClosingPlan,
    bug: ClosingBug | null = null,
    members: readonly NodeId[] = plan.votes.map((v) => v.voter),
  ) {
    this.decision = decision;
    this.plan = plan;
    this.#bug = bug;
    this.#members = new Set(members);
  }

  /**
   * The votes `node` holds that the close `value` leaves out, or holds an older one of: each cast
   * before the close; with `beforeSet`, only those it took before it first saw the close
   * (src/node/votes/vote-desk.ts refuses such a close at an acceptor).
   */
  missing(node: NodeId, value: string, beforeSet = false): CastVote[] {
    const set = this.#sets.get(value);
    if (set === undefined) return [];
    const seenAt = this.#seenAt.get(`${node}\n${value}`) ?? Number.POSITIVE_INFINITY;
    return [...(this.#views.get(node)?.values() ?? [])].filter(
      (v) =>
        v.castAt < set.closedAt &&
        !set.votes.some((mine) => mine.voter === v.voter && mine.seq >= v.seq) &&
        (!beforeSet || (this.#receivedAt.get(`${node}\n${v.voter}`) ?? 0) <= seenAt),
    );
  }

  /**
   * Whether an acceptor takes the close `value` (`accepted`: the value it has accepted already, which
   * it takes again): only voters counted, and nothing it held before it saw the close left out.
   */
  admits(node: NodeId, value: string, now: number, accepted: string | null): boolean {
    const set = this.#sets.get(value);
    if (node === this.plan.liar || set === undefined) return true;
    const key = `${node}\n${value}`;
    if (!this.#seenAt.has(key)) this.#seenAt.set(key, now);
    if (set.votes.some((v) => !this.#members.has(v.voter))) return false;
    if (accepted === value) return true;
    return this.#bug === 'accept-omissions' || this.missing(node, value, true).length === 0;
  }

  /** Whether `node`, proposing, can expect the acceptors to take `value` (its own view of the votes). */
  acceptable(node: NodeId, value: string): boolean {
    const set = this.#sets.get(value);
    if (node === this.plan.liar || set === undefined) return true;
    return set.votes.every((v) => this.#members.has(v.voter)) && this.missing(node, value).length === 0;
  }

  /** Whether `node`'s pending close `proposal` leaves out votes it now holds: it closes again. */
  needsRevision(node: NodeId, proposal: string | null): boolean {
    if (proposal === null || node === this.plan.liar || !this.#sets.has(proposal)) return false;
    return this.missing(node, proposal).length > 0;
  }

  /** An acceptor let the Accept of the close `value` in: what it held then left out, for the check. */
  noteAdmitted(node: NodeId, value: string): void {
    if (node === this.plan.liar || !this.#sets.has(value)) return;
    this.#admitted.set(`${node}\n${value}`, this.missing(node, value, true));
  }

  /** An acceptor accepted the close `value` (an Accept it let in). */
  onAccepted(node: NodeId, value: string): void {
    const omitted = this.#admitted.get(`${node}\n${value}`);
    if (omitted !== undefined) this.#acceptances.push({ node, value, omitted });
  }

  receive(node: NodeId, vote: CastVote, now = vote.arrivals[node] ?? 0): void {
    const view = this.#views.get(node) ?? new Map<NodeId, CastVote>();
    this.#views.set(node, view);
    const current = view.get(vote.voter);
    if (current === undefined || vote.seq > current.seq) {
      view.set(vote.voter, vote);
      this.#receivedAt.set(`${node}\n${vote.voter}`, now);
    }
  }

  /**
   * The value `node` proposes when it closes at `at`: its own view of the votes, fixed now. The liar's
   * leaves out others' votes, keeps replaced ones, and counts a voter that does not exist.
   */
  close(node: NodeId, at: number): string {
    let votes = [...(this.#views.get(node)?.values() ?? [])].sort((a, b) => (a.voter < b.voter ? -1 : 1));
    if (node === this.plan.liar) votes = this.#lie(votes, at);
    const value = `close:${node}:${at}:${votes.map((v) => `${v.voter}=${v.option}#${v.seq}`).join(',')}`;
    this.#sets.set(value, { closer: node, closedAt: at, votes });
    return value;
  }

  #lie(votes: readonly CastVote[], at: number): CastVote[] {
    const rng = new Prng(at * 7 + votes.length);
    const kept = votes.flatMap((v) => {
      if (v.voter === this.plan.liar) return [v];
      if (rng.chance(0.4)) return [];
      const older = this.plan.votes.find((o) => o.voter === v.voter && o.seq < v.seq);
      return [older !== undefined && rng.chance(0.5) ? older : v];
    });
    if (rng.chance(0.3)) kept.push({ voter: 'ghost', option: 'red', seq: 1, castAt: 0, arrivals: {} });
    return kept;
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
    const chosenValue = mine[0]?.value;
    // The chosen close holds every vote an honest acceptor of it held (cast before the close) when it
    // accepted it, and counts no one who is not a voter.
    for (const { node, value, omitted } of this.#acceptances) {
      if (value !== chosenValue || omitted.length === 0) continue;
      violations.push({
        kind: 'validity',
        decision: this.decision,
        at: chosen?.closedAt ?? 0,
        detail: `the chosen close leaves out votes its acceptor ${node} held: ${omitted.map((v) => `${v.voter}=${v.option}#${v.seq}`).join(', ')}`,
      });
    }
    if (chosen !== undefined && chosen.votes.some((v) => !this.#members.has(v.voter)))
      violations.push({
        kind: 'validity',
        decision: this.decision,
        at: chosen.closedAt,
        detail: 'the chosen close counts a voter that is no member',
      });
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
