import type { DecisionConfig, NodeId } from '../paxos/index.ts';
import type { ClosingBug, ClosingPlan } from './closing.ts';
import { Prng } from './prng.ts';

/**
 * Deliberate bugs for the negative controls: each must make the oracle report a violation, which shows
 * that the oracle can tell a broken protocol from a working one.
 */
export type InjectedBug =
  /** Proposers count one acceptor of three as a quorum. */
  | 'quorum-of-one'
  /** Nodes send replies before their state is on disk, and crashes lose those writes. */
  | 'reply-before-persist'
  /** A proposer's ballot counter and proposal are not durable, so after a restart it reuses ballots. */
  | 'reuse-ballot-after-restart'
  /** Backoff without randomness: dueling proposers that wait alike keep preempting each other. */
  | 'deterministic-backoff'
  /**
   * Half the acceptors, rounded up, count as a quorum: right for an odd set (3 of 5), wrong for an
   * even one (2 of 4), where each half can decide on its own. Only even acceptor sets can catch it.
   */
  | 'half-is-quorum'
  /**
   * Acceptor n1 lies in every Promise: it says it has accepted nothing (as an acceptor that lost its
   * disk would). With one liar among three acceptors Paxos cannot keep agreement; the oracle must catch
   * it, and the nodes must detect the two certificates and name n1 as the liar.
   */
  | 'lying-promise'
  /**
   * Every proposer sends Accepts of round 0 without phase 1, and acceptors take them from anyone, not
   * only from the decision's first proposer: two proposers can then each get a value chosen.
   */
  | 'first-ballot-for-anyone';

/** The acceptor that lies in the 'lying-promise' control. */
export const LIAR: NodeId = 'n1';

export interface ScheduledProposal {
  readonly at: number;
  readonly node: NodeId;
  readonly value: string;
}

export interface ScenarioDecision {
  readonly id: string;
  readonly config: DecisionConfig;
  readonly proposals: readonly ScheduledProposal[];
}

export interface Scenario {
  readonly seed: number;
  /**
   * 'chaos': random faults of every kind. 'duel': a clean network where each link has a fixed delay,
   * and proposers starting at staggered times on one decision: only the backoff's randomness separates
   * them. 'minority': written by hand, see isolatedMinority.
   */
  readonly family: 'chaos' | 'duel' | 'minority';
  readonly bug: InjectedBug | null;
  readonly nodes: readonly NodeId[];
  readonly decisions: readonly ScenarioDecision[];
  readonly network: {
    readonly lossRate: number;
    readonly duplicateRate: number;
    readonly minDelayMs: number;
    readonly maxDelayMs: number;
    /** Some messages are held back for long, which reorders them past many others. */
    readonly longDelayRate: number;
    readonly longDelayMaxMs: number;
    /** Duels: each directed link takes its own fixed time ("n1>n2" → ms), so the same race repeats. */
    readonly linkDelaysMs?: Readonly<Record<string, number>>;
  };
  readonly fsyncMaxMs: number;
  readonly crashes: readonly { readonly at: number; readonly node: NodeId; readonly downForMs: number }[];
  readonly partitions: readonly {
    readonly at: number;
    readonly groups: readonly (readonly NodeId[])[];
    readonly healAt: number;
  }[];
  /** Faults stop here: the network heals, crashed nodes restart, loss and duplication end. */
  readonly chaosEndsAt: number;
  /** By then every decision somebody durably proposed must be known by every node. */
  readonly livenessDeadline: number;
  /** Decisions that are closes of votes (src/sim/closing.ts) rather than proposals. */
  readonly closing?: Readonly<Record<string, ClosingPlan>>;
  readonly closingBug?: ClosingBug | null;
}

const CHAOS_MS = 3_000;
const LIVENESS_MS = 30_000;
/**
 * A duel has no faults: its "chaos" is just the time its proposals start in. With the randomized
 * backoff every duel is decided by 0.92 s (the slowest of 20,000 seeds); a livelock never ends. Five
 * seconds tells them apart, and keeps a livelocked run (a proposal every few ms) cheap to simulate.
 */
const DUEL_START_MS = 1_000;
const DUEL_LIVENESS_MS = 5_000;

/** A random scenario, entirely determined by the seed (and the bug under test). */
export function generateScenario(seed: number, bug: InjectedBug | null = null): Scenario {
  const rng = new Prng(seed);
  if (bug === 'deterministic-backoff' || (bug === null && seed % 10 === 0)) return duel(seed, bug, rng);
  // Even sizes too: there a strict majority is half plus one (2 of 2, 3 of 4, 4 of 6).
  const nodeCount =
    bug === 'quorum-of-one' || bug === 'lying-promise'
      ? 3
      : bug === 'reuse-ballot-after-restart'
        ? 4
        : bug === 'half-is-quorum'
          ? rng.pick([2, 4, 6])
          : rng.pick([2, 3, 3, 4, 5, 5, 6, 7]);
  const nodes = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  const decisionCount = rng.int(1, 4);
  const decisions: ScenarioDecision[] = [];
  for (let d = 1; d <= decisionCount; d++) {
    const config = chooseConfig(rng, nodes, bug);
    // Ballot reuse is masked when the proposer is also an acceptor (its own promise bounds its next
    // ballot), so that negative control lets a single non-voting member propose, again and again.
    const proposers =
      bug === 'reuse-ballot-after-restart' && config.learners.length > 0
        ? config.learners.slice(0, 1)
        : nodes;
    const proposals: ScheduledProposal[] = [];
    const count = rng.int(bug === null ? 1 : 2, bug === 'reuse-ballot-after-restart' ? 12 : 5);
    for (let p = 1; p <= count; p++) {
      // The liar does not propose: the values in conflict come from honest proposers.
      const node = rng.pick(bug === 'lying-promise' ? proposers.filter((n) => n !== LIAR) : proposers);
      proposals.push({ at: rng.int(0, CHAOS_MS), node, value: `d${d}-v${p}` });
    }
    // In two decisions of three (without a draw from the generator, so that each seed keeps its
    // scenario), one proposer holds the first ballot: its first attempt races the others' phase 1.
    const firstProposer = (seed + d) % 3 === 0 ? null : (proposals[0]?.node ?? null);
    decisions.push({ id: `d${d}`, config: { ...config, firstProposer }, proposals });
  }
  // The negative controls for durability need crashes soon after writes, so they crash much more often.
  const crashProne = bug === 'reply-before-persist' || bug === 'reuse-ballot-after-restart';
  const crashCount =
    bug === 'quorum-of-one' || bug === 'lying-promise' ? 0 : crashProne ? rng.int(10, 30) : rng.int(0, 6);
  const proposers = [...new Set(decisions.flatMap((d) => d.proposals.map((p) => p.node)))];
  const crashes = Array.from({ length: crashCount }, () => ({
    at: rng.int(0, CHAOS_MS),
    node: rng.pick(bug === 'reuse-ballot-after-restart' ? proposers : nodes),
    downForMs: crashProne ? rng.int(1, 100) : rng.int(5, 1_500),
  }));
  const partitions = Array.from({ length: rng.int(0, 4) }, () => {
    const at = rng.int(0, CHAOS_MS);
    const shuffled = rng.shuffle(nodes);
    const cut = rng.int(1, nodes.length - 1);
    return { at, groups: [shuffled.slice(0, cut), shuffled.slice(cut)], healAt: at + rng.int(50, 2_000) };
  });
  return {
    seed,
    family: 'chaos',
    bug,
    nodes,
    decisions,
    network: {
      lossRate: bug === 'reuse-ballot-after-restart' ? 0 : rng.pick([0, 0.05, 0.1, 0.3]),
      duplicateRate: crashProne ? 0.5 : rng.pick([0, 0.05, 0.2]),
      minDelayMs: 1,
      maxDelayMs: rng.pick([5, 30, 100]),
      longDelayRate: crashProne ? 0.3 : rng.pick([0, 0.02, 0.1]),
      longDelayMaxMs: 1_000,
    },
    fsyncMaxMs: crashProne ? 100 : rng.pick([1, 5, 20]),
    crashes,
    partitions,
    chaosEndsAt: CHAOS_MS,
    livenessDeadline: CHAOS_MS + LIVENESS_MS,
  };
}

function chooseConfig(rng: Prng, nodes: readonly NodeId[], bug: InjectedBug | null): DecisionConfig {
  // These controls are caught only where the whole (odd, or even) group votes.
  if (bug === 'quorum-of-one' || bug === 'half-is-quorum' || bug === 'lying-promise')
    return { acceptors: [...nodes], learners: [] };
  if (bug === 'reuse-ballot-after-restart') {
    return { acceptors: nodes.slice(0, nodes.length - 1), learners: nodes.slice(nodes.length - 1) };
  }
  // Usually everyone votes; sometimes only some (the group is larger than the acceptor set), and the
  // acceptor count may be even, where a strict majority matters most.
  const size = rng.chance(0.5) || nodes.length <= 3 ? nodes.length : rng.int(2, nodes.length - 1);
  const shuffled = rng.shuffle(nodes);
  return { acceptors: shuffled.slice(0, size).sort(), learners: shuffled.slice(size).sort() };
}

/**
 * Two or three proposers on one decision, all nodes acceptors (2 to 5 of them), each link taking its
 * own fixed time, fsyncs taking none, nothing lost, nothing crashing, proposers starting a little
 * apart. A proposer near the acceptors can then preempt one far from them round after round, the same
 * way each time: only a randomized backoff breaks the pattern. (With one delay for every link a
 * retry always lands after the rival's Accept, so those duels end by themselves.)
 */
function duel(seed: number, bug: InjectedBug | null, rng: Prng): Scenario {
  const nodes = Array.from({ length: rng.int(2, 5) }, (_, i) => `n${i + 1}`);
  const linkDelaysMs: Record<string, number> = {};
  for (const from of nodes) for (const to of nodes) linkDelaysMs[`${from}>${to}`] = rng.int(1, 40);
  const proposers = rng.shuffle(nodes).slice(0, Math.min(nodes.length, rng.int(2, 3)));
  const stagger = rng.int(0, 40);
  const proposals = proposers.map((node, i) => ({ at: 100 + i * stagger, node, value: `d1-v${i + 1}` }));
  return {
    seed,
    family: 'duel',
    bug,
    nodes,
    decisions: [{ id: 'd1', config: { acceptors: [...nodes], learners: [] }, proposals }],
    network: {
      lossRate: 0,
      duplicateRate: 0,
      minDelayMs: 1,
      maxDelayMs: 40,
      longDelayRate: 0,
      longDelayMaxMs: 40,
      linkDelaysMs,
    },
    fsyncMaxMs: 0,
    crashes: [],
    partitions: [],
    chaosEndsAt: DUEL_START_MS,
    livenessDeadline: DUEL_START_MS + DUEL_LIVENESS_MS,
  };
}

/** How long isolatedMinority keeps the proposers away from the other acceptors. */
export const MINORITY_ISOLATED_MS = 3_000;

/**
 * One decision whose acceptors are all n nodes, and one more member that does not vote. Until
 * MINORITY_ISOLATED_MS the network is cut in two: on one side floor(n/2) acceptors (a minority, or
 * exactly half of an even set) and the non-voting member, who all propose, again and again as their
 * rounds time out; on the other side the rest, who propose nothing. Nobody may decide while the cut
 * lasts: the proposers see too few acceptors. Once it heals, the decision must be reached.
 */
export function isolatedMinority(acceptorCount: number, bug: InjectedBug | null = null): Scenario {
  const acceptors = Array.from({ length: acceptorCount }, (_, i) => `a${i + 1}`);
  const seen = acceptors.slice(0, Math.floor(acceptorCount / 2));
  const member = 'm';
  const proposers = [...seen, member];
  return {
    seed: acceptorCount,
    family: 'minority',
    bug,
    nodes: [...acceptors, member],
    decisions: [
      {
        id: 'd1',
        config: { acceptors, learners: [member] },
        proposals: proposers.map((node, i) => ({ at: 50 + i * 100, node, value: `d1-${node}` })),
      },
    ],
    network: {
      lossRate: 0,
      duplicateRate: 0,
      minDelayMs: 1,
      maxDelayMs: 20,
      longDelayRate: 0,
      longDelayMaxMs: 20,
    },
    fsyncMaxMs: 5,
    crashes: [],
    partitions: [
      {
        at: 0,
        groups: [proposers, acceptors.slice(seen.length)],
        healAt: MINORITY_ISOLATED_MS,
      },
    ],
    chaosEndsAt: MINORITY_ISOLATED_MS,
    livenessDeadline: MINORITY_ISOLATED_MS + LIVENESS_MS,
  };
}
