import {
  DEFAULT_CORE_OPTIONS,
  type CoreEvent,
  type CoreInput,
  type CoreOptions,
  type DecisionId,
  type Env,
  type Envelope,
  type NodeId,
  type PaxosMessage,
} from '../paxos/index.ts';
import { ClosingLayer, type CastVote } from './closing.ts';
import { EventQueue } from './event-queue.ts';
import { Oracle } from './oracle.ts';
import { Prng } from './prng.ts';
import type { Scenario } from './scenario.ts';
import { SimNode, type HeldOutput } from './sim-node.ts';
import { describe, lie } from './sim-messages.ts';
import type { DetectedConflict, FaultCounts, ReportedOutcome, SimulationResult } from './sim-results.ts';

export type { DetectedConflict, FaultCounts, ReportedOutcome, SimulationResult } from './sim-results.ts';
export { describe } from './sim-messages.ts';

type SimEvent =
  | { readonly type: 'deliver'; readonly from: NodeId; readonly to: NodeId; readonly message: PaxosMessage }
  | { readonly type: 'fsync'; readonly node: NodeId; readonly incarnation: number }
  | { readonly type: 'tick'; readonly node: NodeId; readonly incarnation: number }
  | { readonly type: 'propose'; readonly node: NodeId; readonly decision: DecisionId; readonly value: string }
  | {
      readonly type: 'vote-arrives';
      readonly node: NodeId;
      readonly decision: DecisionId;
      readonly vote: CastVote;
    }
  | { readonly type: 'close'; readonly node: NodeId; readonly decision: DecisionId }
  | { readonly type: 'crash'; readonly node: NodeId; readonly downForMs: number }
  | { readonly type: 'restart'; readonly node: NodeId }
  | { readonly type: 'partition'; readonly groups: readonly (readonly NodeId[])[] }
  | { readonly type: 'heal' }
  | { readonly type: 'chaos-ends' };

/** Core timings scaled to the simulated network (delays of a few ms to 100 ms). */
export const SIM_CORE_OPTIONS: CoreOptions = {
  ...DEFAULT_CORE_OPTIONS,
  phaseTimeoutMs: 250,
  backoff: { baseMs: 20, maxMs: 500 },
  // The simulated nodes have no catalog exchange on connect: a restarted node asks about each decision.
  catchUp: { initialMs: 200, maxMs: 2_000, maxAttempts: 6, afterRestart: true, onOpen: true },
};

/** Runs one seeded execution to its end and returns what the oracle found. */
export function simulate(scenario: Scenario, options: { trace?: boolean } = {}): SimulationResult {
  return new Simulation(scenario, options.trace ?? false).run();
}

class Simulation {
  readonly #scenario: Scenario;
  readonly #rng: Prng;
  readonly #queue = new EventQueue<SimEvent>();
  readonly #nodes = new Map<NodeId, SimNode>();
  readonly #oracle: Oracle;
  readonly #coreOptions: CoreOptions;
  readonly #trace: string[] | null;
  #now = 0;
  #steps = 0;
  #messages = 0;
  readonly #faults: FaultCounts = { crashes: 0, lost: 0, duplicated: 0, cut: 0, decisionsChosen: 0 };
  #chaos = true;
  readonly #reported: ReportedOutcome[] = [];
  readonly #conflicts: DetectedConflict[] = [];
  /** Messages queued and not yet delivered. */
  #inFlight = 0;
  #partition: ReadonlyMap<NodeId, number> | null = null;
  readonly #closing = new Map<DecisionId, ClosingLayer>();
  /** Closes due while their node was down. */
  #closesDue: { node: NodeId; decision: DecisionId }[] = [];

  constructor(scenario: Scenario, trace: boolean) {
    this.#scenario = scenario;
    this.#rng = new Prng(scenario.seed ^ 0x5eed);
    this.#oracle = new Oracle(scenario.decisions);
    this.#trace = trace ? [] : null;
    this.#coreOptions =
      scenario.bug === 'quorum-of-one'
        ? { ...SIM_CORE_OPTIONS, unsafeQuorumForNegativeControl: () => 1 }
        : scenario.bug === 'half-is-quorum'
          ? { ...SIM_CORE_OPTIONS, unsafeQuorumForNegativeControl: (n) => Math.ceil(n / 2) }
          : scenario.bug === 'first-ballot-for-anyone'
            ? { ...SIM_CORE_OPTIONS, unsafeFirstBallotForAnyoneForNegativeControl: true }
            : SIM_CORE_OPTIONS;
    for (const id of scenario.nodes) this.#nodes.set(id, new SimNode(id, this.#coreOptions));
  }

  run(): SimulationResult {
    const s = this.#scenario;
    for (const node of this.#nodes.values()) {
      for (const d of s.decisions) this.#step(node, { kind: 'open', decision: d.id, config: d.config });
    }
    for (const d of s.decisions) {
      for (const p of d.proposals)
        this.#queue.push(p.at, { type: 'propose', node: p.node, decision: d.id, value: p.value });
    }
    for (const [decision, plan] of Object.entries(s.closing ?? {})) {
      this.#closing.set(decision, new ClosingLayer(decision, plan, s.closingBug ?? null, s.nodes));
      // A node that is down when a vote reaches the others gets it when it is back (votes are sent
      // on every connection); the simulator hands it over at the same time.
      for (const vote of plan.votes)
        for (const [node, at] of Object.entries(vote.arrivals))
          this.#queue.push(at, { type: 'vote-arrives', node, decision, vote });
      for (const close of plan.closes)
        this.#queue.push(close.at, { type: 'close', node: close.node, decision });
    }
    for (const c of s.crashes)
      this.#queue.push(c.at, { type: 'crash', node: c.node, downForMs: c.downForMs });
    for (const p of s.partitions) {
      this.#queue.push(p.at, { type: 'partition', groups: p.groups });
      this.#queue.push(p.healAt, { type: 'heal' });
    }
    this.#queue.push(s.chaosEndsAt, { type: 'chaos-ends' });

    for (;;) {
      const next = this.#queue.pop();
      if (next === undefined || next.time > s.livenessDeadline) break;
      this.#now = next.time;
      this.#handle(next.item);
      // Done once everyone knows every outcome and nothing is on its way that could still contradict one.
      if (!this.#chaos && this.#allLearned() && this.#inFlight === 0) break;
    }
    this.#checkLiveness();
    const closingViolations = [...this.#closing.values()].flatMap((layer) =>
      layer.check(this.#reported.filter((r) => r.decision === layer.decision)),
    );
    return {
      seed: s.seed,
      violations: [...this.#oracle.violations, ...closingViolations],
      chosenAt: Object.fromEntries(
        s.decisions.flatMap((d) => {
          const at = this.#oracle.chosenAt(d.id);
          return at === undefined ? [] : [[d.id, at]];
        }),
      ),
      reported: this.#reported,
      conflicts: this.#conflicts,
      steps: this.#steps,
      messages: this.#messages,
      faults: {
        ...this.#faults,
        decisionsChosen: s.decisions.filter((d) => this.#oracle.chosen(d.id) !== undefined).length,
      },
      endedAt: this.#now,
      trace: this.#trace ?? [],
    };
  }

  #handle(event: SimEvent): void {
    switch (event.type) {
      case 'deliver': {
        this.#inFlight--;
        const node = this.#node(event.to);
        if (!node.alive) return this.#log(`drop ${event.from}→${event.to} ${describe(event.message)} (down)`);
        const { message } = event;
        const layer = message.kind === 'accept' ? this.#closing.get(message.decision) : undefined;
        const accepted = node.core.decision(message.decision)?.acceptor.accepted?.value ?? null;
        if (
          message.kind === 'accept' &&
          layer !== undefined &&
          !layer.admits(node.id, message.value, this.#now, accepted)
        ) {
          // Refused where messages enter the node; the closer is sent the votes its close left out.
          this.#log(`refuse ${event.from}→${event.to} ${describe(message)}: it leaves out votes`);
          for (const vote of layer.missing(node.id, message.value, true))
            this.#queue.push(this.#now + this.#rng.int(1, 50), {
              type: 'vote-arrives',
              node: message.ballot.node,
              decision: message.decision,
              vote,
            });
          return;
        }
        if (message.kind === 'accept') layer?.noteAdmitted(node.id, message.value);
        this.#log(`recv ${event.from}→${event.to} ${describe(message)}`);
        return this.#step(node, { kind: 'receive', from: event.from, message });
      }
      case 'fsync': {
        const node = this.#node(event.node);
        if (!node.alive || node.incarnation !== event.incarnation) return;
        for (const output of node.completeFsync()) this.#release(node, output);
        return;
      }
      case 'tick': {
        const node = this.#node(event.node);
        if (!node.alive || node.incarnation !== event.incarnation) return;
        node.tickAt = null;
        return this.#step(node, { kind: 'tick' });
      }
      case 'propose': {
        const node = this.#node(event.node);
        if (!node.alive) return;
        this.#log(`${node.id} proposes ${event.value} for ${event.decision}`);
        this.#oracle.onProposed(event.decision, event.value);
        return this.#step(node, { kind: 'propose', decision: event.decision, value: event.value });
      }
      case 'vote-arrives': {
        const layer = this.#closing.get(event.decision);
        if (layer === undefined) return;
        layer.receive(event.node, event.vote, this.#now);
        const node = this.#node(event.node);
        const decision = node.alive ? node.core.decision(event.decision) : undefined;
        if (decision === undefined || decision.chosen !== null) return;
        if (!layer.needsRevision(node.id, decision.proposer.proposal)) return;
        const value = layer.close(node.id, this.#now);
        this.#log(`${node.id} closes ${event.decision} again with ${value}`);
        this.#oracle.onProposed(event.decision, value);
        return this.#step(node, { kind: 'revise', decision: event.decision, value });
      }
      case 'close': {
        const node = this.#node(event.node);
        const layer = this.#closing.get(event.decision);
        if (layer === undefined) return;
        if (!node.alive) {
          // A node down at the deadline closes when it is back (src/node/votes/vote-desk.ts schedules it).
          this.#closesDue.push({ node: node.id, decision: event.decision });
          return;
        }
        const value = layer.close(node.id, this.#now);
        this.#log(`${node.id} closes ${event.decision} with ${value}`);
        this.#oracle.onProposed(event.decision, value);
        return this.#step(node, { kind: 'propose', decision: event.decision, value });
      }
      case 'crash': {
        const node = this.#node(event.node);
        if (!this.#chaos || !node.alive) return;
        this.#log(`${node.id} crashes`);
        this.#faults.crashes++;
        node.crash();
        this.#queue.push(this.#now + event.downForMs, { type: 'restart', node: node.id });
        return;
      }
      case 'restart':
        return this.#restart(this.#node(event.node));
      case 'partition': {
        if (!this.#chaos) return;
        this.#log(`partition ${event.groups.map((g) => g.join(',')).join(' | ')}`);
        const side = new Map<NodeId, number>();
        event.groups.forEach((group, i) => group.forEach((id) => side.set(id, i)));
        this.#partition = side;
        return;
      }
      case 'heal':
        this.#log('heal');
        this.#partition = null;
        this.#exchangeOutcomes();
        return;
      case 'chaos-ends':
        this.#log('chaos ends: network heals, crashed nodes restart');
        this.#chaos = false;
        this.#partition = null;
        for (const node of this.#nodes.values()) if (!node.alive) this.#restart(node);
        this.#exchangeOutcomes();
        return;
    }
  }

  #restart(node: SimNode): void {
    if (node.alive) return;
    this.#log(`${node.id} restarts`);
    node.restart(this.#env(), this.#coreOptions, this.#scenario.bug === 'reuse-ballot-after-restart');
    this.#oracle.onRecovered(this.#now, node.id, node.core);
    // What the node layer does on reconnecting: fetch the list of decisions from its peers, which
    // brings back any decision whose definition had not reached the disk before the crash.
    for (const d of this.#scenario.decisions)
      this.#step(node, { kind: 'open', decision: d.id, config: d.config });
    for (const due of this.#closesDue.filter((c) => c.node === node.id))
      this.#queue.push(this.#now, { type: 'close', node: node.id, decision: due.decision });
    this.#closesDue = this.#closesDue.filter((c) => c.node !== node.id);
    this.#scheduleTick(node);
  }

  #step(node: SimNode, input: CoreInput): void {
    this.#steps++;
    const { release, needsFsync } = node.step(
      input,
      this.#env(node.id),
      this.#scenario.bug === 'reply-before-persist',
    );
    if (needsFsync) {
      node.fsyncPending = true;
      const delay = this.#rng.int(0, this.#scenario.fsyncMaxMs);
      this.#queue.push(this.#now + delay, { type: 'fsync', node: node.id, incarnation: node.incarnation });
    }
    if (release !== null) this.#release(node, release);
    this.#scheduleTick(node);
  }

  #release(node: SimNode, output: HeldOutput): void {
    for (const envelope of output.send) this.#send(node.id, envelope);
    for (const event of output.events) this.#observe(node.id, event);
  }

  #observe(node: NodeId, event: CoreEvent): void {
    this.#log(`${node} event ${JSON.stringify(event)}`);
    if (event.kind === 'decided') {
      this.#reported.push({ at: this.#now, node, decision: event.decision, value: event.value });
      this.#oracle.onReported(this.#now, node, event.decision, event.value);
    }
    if (event.kind === 'conflict') {
      const { liars, signedBoth } = event.conflict;
      this.#conflicts.push({ at: this.#now, node, decision: event.decision, liars, signedBoth });
    }
    if (event.kind === 'unknown-decision') {
      // What the node layer does: fetch the decision's definition from the peer that mentioned it.
      const definition = this.#scenario.decisions.find((d) => d.id === event.decision);
      if (definition !== undefined) {
        this.#step(this.#node(node), { kind: 'open', decision: definition.id, config: definition.config });
      }
    }
  }

  /**
   * What members do when they reconnect (src/node/questions/catalog-sync.ts): each tells the other the outcomes
   * it knows and the other does not, or knows differently — with their certificates.
   */
  #exchangeOutcomes(): void {
    for (const a of this.#nodes.values()) {
      if (!a.alive) continue;
      for (const decision of a.core.decisions()) {
        const { chosen: value, certificate } = decision;
        if (value === null || certificate === null) continue;
        for (const b of this.#nodes.values()) {
          if (b === a || !b.alive || b.core.decision(decision.id)?.chosen === value) continue;
          this.#send(a.id, {
            to: b.id,
            message: { kind: 'decided', decision: decision.id, value, certificate },
          });
        }
      }
    }
  }

  #send(from: NodeId, envelope: Envelope): void {
    const { to, message } = this.#scenario.bug === 'lying-promise' ? lie(from, envelope) : envelope;
    this.#messages++;
    if (message.kind === 'accepted') {
      this.#oracle.onAcceptedSent(this.#now, message.decision, from, message.ballot, message.value);
      this.#closing.get(message.decision)?.onAccepted(from, message.value);
    }
    if (message.kind === 'accept') {
      this.#oracle.onAcceptSent(this.#now, message.decision, message.ballot, message.value);
    }
    if (from === to) {
      // A node's message to itself is a local call: never lost, never duplicated.
      this.#inFlight++;
      this.#queue.push(this.#now, { type: 'deliver', from, to, message });
      return;
    }
    const net = this.#scenario.network;
    const partition = this.#partition;
    if (partition !== null && partition.get(from) !== partition.get(to)) {
      this.#faults.cut++;
      return this.#log(`cut ${from}→${to} ${describe(message)}`);
    }
    if (this.#chaos && this.#rng.chance(net.lossRate)) {
      this.#faults.lost++;
      return this.#log(`lose ${from}→${to} ${describe(message)}`);
    }
    const copies = this.#chaos && this.#rng.chance(net.duplicateRate) ? 2 : 1;
    if (copies > 1) this.#faults.duplicated++;
    for (let i = 0; i < copies; i++) {
      const long = this.#chaos && this.#rng.chance(net.longDelayRate);
      const fixed = net.linkDelaysMs?.[`${from}>${to}`];
      const delay =
        fixed ??
        (long
          ? this.#rng.int(net.maxDelayMs, net.longDelayMaxMs)
          : this.#rng.int(net.minDelayMs, net.maxDelayMs));
      this.#inFlight++;
      this.#queue.push(this.#now + delay, { type: 'deliver', from, to, message });
    }
  }

  #scheduleTick(node: SimNode): void {
    if (!node.alive) return;
    const due = node.core.nextTimer();
    if (due === null || (node.tickAt !== null && node.tickAt <= due)) return;
    node.tickAt = due;
    this.#queue.push(Math.max(due, this.#now), {
      type: 'tick',
      node: node.id,
      incarnation: node.incarnation,
    });
  }

  /** Decisions somebody durably proposed, or that a quorum accepted: these must end up known to all. */
  #mustDecide(): DecisionId[] {
    return this.#scenario.decisions
      .map((d) => d.id)
      .filter(
        (id) =>
          this.#oracle.chosen(id) !== undefined ||
          [...this.#nodes.values()].some((n) => (n.synced.get(id)?.proposal ?? null) !== null),
      );
  }

  #allLearned(): boolean {
    return this.#mustDecide().every((id) =>
      [...this.#nodes.values()].every((n) => n.alive && (n.synced.get(id)?.chosen ?? null) !== null),
    );
  }

  #checkLiveness(): void {
    // Controls that break safety may also stall; only the backoff control is about liveness.
    if (this.#scenario.bug !== null && this.#scenario.bug !== 'deterministic-backoff') return;
    for (const id of this.#mustDecide()) {
      const missing = [...this.#nodes.values()].filter((n) => (n.synced.get(id)?.chosen ?? null) === null);
      if (missing.length > 0) {
        const who = missing.map((n) => n.id).join(', ');
        this.#oracle.onLivenessFailure(
          this.#now,
          id,
          `not learned by ${who} ${this.#now - this.#scenario.chaosEndsAt} ms after healing`,
        );
      }
    }
  }

  /** What the world gives a node's core: the time, randomness, and (for closes) its view of the votes. */
  #env(node?: NodeId): Env {
    const acceptable =
      node === undefined
        ? undefined
        : (decision: DecisionId, value: string) =>
            this.#closing.get(decision)?.acceptable(node, value) ?? true;
    // The backoff control gives every node the same "random" number: their waits are all alike.
    if (this.#scenario.bug === 'deterministic-backoff')
      return { now: this.#now, random: () => 0, acceptable };
    return { now: this.#now, random: () => this.#rng.next(), acceptable };
  }

  #node(id: NodeId): SimNode {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new Error(`unknown simulated node ${id}`);
    return node;
  }

  #log(line: string): void {
    this.#trace?.push(`${String(this.#now).padStart(6)} ms  ${line}`);
  }
}
