import {
  DEFAULT_CORE_OPTIONS,
  SynodCore,
  type CoreEvent,
  type CoreInput,
  type CoreOptions,
  type DecisionConfig,
  type DecisionId,
  type DurableDecision,
  type NodeId,
  type PaxosMessage,
  type Ready,
} from '../../src/paxos/index.ts';

export interface InFlight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: PaxosMessage;
}

export type MessageFilter = (m: InFlight) => boolean;

/**
 * A cluster of cores whose network the test drives by hand: every message waits in `inFlight` until
 * the test delivers or drops it, so each Paxos scenario can be written out step by step.
 * Persisting is immediate (the simulator covers delayed fsync); a crash keeps exactly what was persisted.
 */
export class ManualCluster {
  readonly options: CoreOptions;
  readonly cores = new Map<NodeId, SynodCore>();
  readonly disks = new Map<NodeId, Map<DecisionId, DurableDecision>>();
  readonly down = new Set<NodeId>();
  inFlight: InFlight[] = [];
  readonly events: { node: NodeId; event: CoreEvent }[] = [];
  readonly readies: { node: NodeId; ready: Ready }[] = [];
  now = 0;
  random = 0.5;

  constructor(nodes: readonly NodeId[], options: Partial<CoreOptions> = {}) {
    // Bare cores have no catalog exchange on connect: a restarted core asks about open decisions itself.
    const catchUp = { ...DEFAULT_CORE_OPTIONS.catchUp, afterRestart: true, onOpen: true };
    this.options = { ...DEFAULT_CORE_OPTIONS, catchUp, ...options };
    for (const id of nodes) {
      this.cores.set(id, new SynodCore(id, this.options));
      this.disks.set(id, new Map());
    }
  }

  core(id: NodeId): SynodCore {
    const core = this.cores.get(id);
    if (core === undefined) throw new Error(`no node ${id}`);
    return core;
  }

  open(decision: DecisionId, config: DecisionConfig): void {
    for (const id of this.cores.keys()) this.step(id, { kind: 'open', decision, config });
  }

  step(node: NodeId, input: CoreInput): Ready {
    if (this.down.has(node)) throw new Error(`${node} is down`);
    const ready = this.core(node).step(input, { now: this.now, random: () => this.random });
    this.readies.push({ node, ready });
    const disk = this.disks.get(node);
    for (const record of ready.persist) disk?.set(record.id, record);
    for (const { to, message } of ready.send) this.inFlight.push({ from: node, to, message });
    for (const event of ready.events) this.events.push({ node, event });
    return ready;
  }

  propose(node: NodeId, decision: DecisionId, value: string): Ready {
    return this.step(node, { kind: 'propose', decision, value });
  }

  /** Delivers (in order) the messages in flight that match, including those their delivery causes when `untilQuiet`. */
  deliver(filter: MessageFilter = () => true, untilQuiet = false): number {
    let delivered = 0;
    for (;;) {
      const batch = this.inFlight.filter(filter);
      if (batch.length === 0) return delivered;
      this.inFlight = this.inFlight.filter((m) => !batch.includes(m));
      for (const m of batch) {
        delivered++;
        if (!this.down.has(m.to)) this.step(m.to, { kind: 'receive', from: m.from, message: m.message });
      }
      if (!untilQuiet) return delivered;
    }
  }

  /** Delivers everything until no message is left (messages to crashed nodes are lost). */
  settle(filter: MessageFilter = () => true): number {
    return this.deliver(filter, true);
  }

  drop(filter: MessageFilter): number {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((m) => !filter(m));
    return before - this.inFlight.length;
  }

  tick(node: NodeId, advanceMs = 0): Ready {
    this.now += advanceMs;
    return this.step(node, { kind: 'tick' });
  }

  crash(node: NodeId): void {
    this.down.add(node);
    this.inFlight = this.inFlight.filter((m) => m.to !== node);
  }

  restart(node: NodeId): void {
    this.down.delete(node);
    const records = [...(this.disks.get(node)?.values() ?? [])];
    this.cores.set(
      node,
      SynodCore.recover(node, records, { now: this.now, random: () => this.random }, this.options),
    );
  }

  chosen(node: NodeId, decision: DecisionId): string | null {
    return this.core(node).decision(decision)?.chosen ?? null;
  }

  decidedEvents(node: NodeId, decision: DecisionId): Extract<CoreEvent, { kind: 'decided' }>[] {
    return this.events
      .filter((e) => e.node === node)
      .map((e) => e.event)
      .filter(
        (e): e is Extract<CoreEvent, { kind: 'decided' }> => e.kind === 'decided' && e.decision === decision,
      );
  }
}

export const kind =
  (...kinds: PaxosMessage['kind'][]): MessageFilter =>
  (m) =>
    kinds.includes(m.message.kind);
export const from =
  (...nodes: NodeId[]): MessageFilter =>
  (m) =>
    nodes.includes(m.from);
export const to =
  (...nodes: NodeId[]): MessageFilter =>
  (m) =>
    nodes.includes(m.to);
export const all =
  (...filters: MessageFilter[]): MessageFilter =>
  (m) =>
    filters.every((f) => f(m));
