import {
  approvalStatement,
  encodeSlotValue,
  decodeSlotValue,
  inviteUseStatement,
  type GroupChange,
  type SlotValue,
} from '../model/group/changes.ts';
import {
  changeProblem,
  isMember,
  slotConfig,
  slotDecision,
  slotOf,
  type Epoch,
} from '../model/group/epoch.ts';
import { GroupLog } from '../model/group/group-log.ts';
import type { CoreEvent, CoreInput, Envelope, NodeId, PaxosMessage } from '../paxos/index.ts';
import { EventQueue } from './event-queue.ts';
import { Prng } from './prng.ts';
import { SimNode, type HeldOutput } from './sim-node.ts';
import { SIM_CORE_OPTIONS } from './simulation.ts';
import { GroupOracle } from './group-oracle.ts';
import {
  baseEpoch,
  CHAOS_MS,
  END_MS,
  fakeSign,
  HOSTILE,
  inviteKey,
  MEMBERS,
  NEWCOMERS,
  planGroupRun,
  signed,
  verify,
  type GroupEvent,
  type Request,
} from './group-plan.ts';

/*
 * The group log (src/model/group/) as the simulator plays it: five members and two newcomers run
 * one Paxos instance per slot with the real core, each slot's acceptors taken from the epoch it
 * follows. Members rename the group, make invites that newcomers use, leave, and ask removals with
 * more or fewer approvals, while messages are lost, duplicated and delayed, the network splits and
 * laptops crash. A hostile member asks removals nobody approved, accepts anything, and refuses to
 * accept its own removal.
 *
 * The oracle folds the chosen values itself (a value is chosen when a strict majority of the
 * acceptors of the epoch it follows, by the oracle's fold, accepted it in one ballot) and checks that
 * every node applies exactly that sequence, never a value before it is chosen, and that every
 * removal applied had the approval of a strict majority of the other members of its epoch.
 */

/**
 * Deliberate bugs for the negative controls: a proposer applies its own change before it is chosen
 * (apply-early); acceptors count a removal's approvals without asking who gave them, and requesters
 * add the target's own (removed-approval-counted); each slot is run by the acceptors of the epoch before the one it
 * follows (wrong-epoch-acceptors).
 */
export type GroupBug = 'apply-early' | 'removed-approval-counted' | 'wrong-epoch-acceptors';

export interface GroupSimResult {
  readonly seed: number;
  readonly violations: readonly string[];
  /** The longest log any node holds, in slots applied. */
  readonly slots: number;
  readonly removals: number;
  readonly joins: number;
  /** Changes that acceptors refused as invalid (the hostile member's, mostly). */
  readonly refused: number;
  readonly crashes: number;
  /** The hostile member was removed (it refused to accept its removal, and the others outvoted it). */
  readonly hostileRemoved: boolean;
  /** Every node still a member at the end holds the same head. */
  readonly converged: boolean;
  readonly trace: readonly string[];
}

interface GroupNode {
  readonly machine: SimNode;
  log: GroupLog;
  /** Changes this node was asked to propose, oldest first. */
  pending: GroupChange[];
  /** The slot its first pending change is proposed in. */
  proposing: number | null;
}

export function simulateGroupLog(
  seed: number,
  bug: GroupBug | null = null,
  options: { readonly trace?: boolean } = {},
): GroupSimResult {
  return new GroupSimulation(seed, bug, options.trace ?? false).run();
}

class GroupSimulation {
  readonly #seed: number;
  readonly #bug: GroupBug | null;
  readonly #rng: Prng;
  readonly #queue = new EventQueue<GroupEvent>();
  readonly #nodes = new Map<NodeId, GroupNode>();
  readonly #trace: string[] | null;
  readonly #violations: string[] = [];
  readonly #oracle = new GroupOracle(baseEpoch(), (text) => this.#violation(text));
  #now = 0;
  #partition: ReadonlyMap<NodeId, number> | null = null;
  #crashes = 0;
  #refused = 0;

  constructor(seed: number, bug: GroupBug | null, trace: boolean) {
    this.#seed = seed;
    this.#bug = bug;
    this.#rng = new Prng(seed ^ 0x9e0);
    this.#trace = trace ? [] : null;
    for (const id of [...MEMBERS, ...NEWCOMERS])
      this.#nodes.set(id, {
        machine: new SimNode(id, SIM_CORE_OPTIONS),
        log: new GroupLog(baseEpoch(), verify),
        pending: [],
        proposing: null,
      });
  }

  run(): GroupSimResult {
    this.#plan();
    for (const id of this.#nodes.keys()) {
      this.#open(id);
      this.#queue.push(this.#rng.int(0, 250), { type: 'gossip', node: id, incarnation: 0 });
    }
    for (;;) {
      const next = this.#queue.pop();
      if (next === undefined || next.time > END_MS) break;
      this.#now = next.time;
      this.#handle(next.item);
    }
    const heads = [...this.#nodes.entries()]
      .filter(([id, node]) => node.machine.alive && isMember(node.log.head, id))
      .map(([, node]) => node.log.head.n);
    const slots = Math.max(...[...this.#nodes.values()].map((n) => n.log.head.n));
    const applied = this.#oracle.epochs.slice(1);
    return {
      seed: this.#seed,
      violations: this.#violations,
      slots,
      removals: applied.filter((e) => e.departed.some((d) => d.in === e.n && d.how === 'removed')).length,
      joins: applied.filter((e) => e.members.some((m) => m.joinedIn === e.n)).length,
      refused: this.#refused,
      hostileRemoved: applied.some((e) =>
        e.departed.some((d) => d.peerId === HOSTILE && d.how === 'removed'),
      ),
      crashes: this.#crashes,
      converged: heads.length > 0 && heads.every((h) => h === slots),
      trace: this.#trace ?? [],
    };
  }

  /** What happens in this execution: requests, crashes and a partition, all in the first seconds. */
  #plan(): void {
    for (const { at, event } of planGroupRun(this.#seed, this.#rng)) this.#queue.push(at, event);
  }

  #handle(event: GroupEvent): void {
    switch (event.type) {
      case 'deliver':
        return this.#deliver(event.from, event.to, event.message);
      case 'fsync': {
        const node = this.#node(event.node);
        if (!node.machine.alive || node.machine.incarnation !== event.incarnation) return;
        for (const output of node.machine.completeFsync()) this.#release(event.node, output);
        return;
      }
      case 'tick': {
        const node = this.#node(event.node);
        if (!node.machine.alive || node.machine.incarnation !== event.incarnation) return;
        node.machine.tickAt = null;
        return this.#step(event.node, { kind: 'tick' });
      }
      case 'gossip':
        return this.#gossip(event.node, event.incarnation);
      case 'request':
        return this.#request(event.request);
      case 'crash': {
        const node = this.#node(event.node);
        if (!node.machine.alive) return;
        this.#crashes++;
        this.#log(`${event.node} crashes`);
        node.machine.crash();
        node.pending = [];
        node.proposing = null;
        this.#queue.push(this.#now + event.downForMs, { type: 'restart', node: event.node });
        return;
      }
      case 'restart':
        return this.#restart(event.node);
      case 'partition':
        this.#partition = event.side;
        return this.#log('partition');
      case 'heal':
        this.#partition = null;
        return this.#log('heal');
    }
  }

  /** A member is asked for a change: it signs it (or, for a join, passes on the newcomer's). */
  #request(request: Request): void {
    const by = request.kind === 'join' ? request.via : request.by;
    const node = this.#node(by);
    if (!node.machine.alive || !isMember(node.log.head, by)) return;
    const epoch = node.log.head.n;
    let change: GroupChange;
    switch (request.kind) {
      case 'rename':
        change = signed({ type: 'rename', by, epoch, name: `Club ${this.#now}` });
        break;
      case 'leave':
        change = signed({ type: 'leave', by, epoch });
        break;
      case 'invite':
        change = signed({
          type: 'invite',
          by,
          epoch,
          invite: request.invite,
          key: inviteKey(request.invite),
          expiresAt: this.#now + 60_000,
          singleUse: true,
        });
        break;
      case 'join': {
        const { newcomer, invite } = request;
        change = signed({
          type: 'join',
          by: newcomer,
          epoch: this.#node(newcomer).log.head.n,
          name: newcomer,
          invite,
          inviteSignature: fakeSign(
            inviteKey(invite),
            inviteUseStatement(node.log.head.groupId, invite, newcomer),
          ),
        });
        break;
      }
      case 'remove': {
        const asked = signed({
          type: 'remove',
          by,
          epoch,
          target: request.target,
          approvals: [] as { by: string; signature: string }[],
        });
        const approvers =
          this.#bug === 'removed-approval-counted'
            ? [...request.approvers, request.target]
            : request.approvers;
        change = {
          ...asked,
          approvals: approvers.map((a) => ({ by: a, signature: fakeSign(a, approvalStatement(asked)) })),
        };
        break;
      }
    }
    this.#log(`${by} asked: ${request.kind}`);
    node.pending.push(change);
    this.#proposeNext(by);
  }

  /** Proposes the node's oldest pending change in its open slot, unless one is under way. */
  #proposeNext(id: NodeId): void {
    const node = this.#node(id);
    const head = node.log.head;
    // A slot decided here but not applied (its value could not be): nothing more to propose in it.
    if ((node.machine.core.decision(slotDecision(head.n))?.chosen ?? null) !== null) return;
    while (node.proposing === null && node.pending.length > 0) {
      const change = node.pending[0] as GroupChange;
      const value: SlotValue = { slot: head.n, at: Math.max(this.#now, head.at), change };
      // A change that can no longer follow (made already, its target gone): dropped, as the node's
      // user is told.
      if (id !== HOSTILE && this.#problem(head, value) !== null) {
        node.pending.shift();
        continue;
      }
      node.proposing = head.n;
      this.#log(`${id} proposes ${change.type} in slot ${head.n}`);
      if (this.#bug === 'apply-early') this.#apply(id, head.n, value);
      this.#step(id, { kind: 'propose', decision: slotDecision(head.n), value: encodeSlotValue(value) });
    }
  }

  /** The check every acceptor makes (with the deliberate bug of the removal control). */
  #problem(epoch: Epoch, value: SlotValue): string | null {
    const change = value.change;
    if (this.#bug === 'removed-approval-counted' && change.type === 'remove') {
      // The bug: approvals are counted without asking who gave them.
      const count = 1 + change.approvals.length;
      return count * 2 > epoch.members.length - 1 && isMember(epoch, change.target)
        ? null
        : 'too few approvals';
    }
    return changeProblem(epoch, value, verify);
  }

  #deliver(from: NodeId, to: NodeId, message: PaxosMessage): void {
    const node = this.#node(to);
    if (!node.machine.alive) return;
    const slot = slotOf(message.decision);
    if (slot === null) return;
    const head = node.log.head;
    if (slot > head.n) {
      // A slot this node does not know yet: it is behind, and asks the sender for what it misses.
      if (message.kind !== 'query')
        this.#send(to, { to: from, message: { kind: 'query', decision: slotDecision(head.n) } });
      return;
    }
    const epoch = node.log.epoch(slot);
    if (epoch === undefined) return;
    // The router's checks: who may propose in this slot, who may read its outcome, what may be accepted.
    if ((message.kind === 'prepare' || message.kind === 'accept') && !isMember(epoch, from)) return;
    if (message.kind === 'query' && !node.log.mayRead(from, slot)) return;
    // Every value a message carries must be a valid change of the slot's epoch (an Accept's own, and
    // those its promises report; a Promise's): so a value only the liar accepted forces no one.
    const values =
      message.kind === 'accept'
        ? [message.value, ...message.promises.flatMap((p) => (p.accepted === null ? [] : [p.accepted.value]))]
        : message.kind === 'promise' && message.accepted !== null
          ? [message.accepted.value]
          : [];
    if (to !== HOSTILE) {
      for (const text of values) {
        const value = decodeSlotValue(text);
        const problem = value === null ? 'not a slot value' : this.#problem(epoch, value);
        if (problem === null) continue;
        this.#refused++;
        return this.#log(`${to} refuses ${message.kind} of slot ${slot} from ${from}: ${problem}`);
      }
    }
    if (message.kind === 'accept' && to === HOSTILE) {
      const value = decodeSlotValue(message.value);
      if (value?.change.type === 'remove' && value.change.target === HOSTILE) return;
    }
    this.#step(to, { kind: 'receive', from, message });
  }

  #step(id: NodeId, input: CoreInput): void {
    const node = this.#node(id);
    const { release, needsFsync } = node.machine.step(
      input,
      { now: this.#now, random: () => this.#rng.next() },
      false,
    );
    if (needsFsync) {
      node.machine.fsyncPending = true;
      this.#queue.push(this.#now + this.#rng.int(0, 8), {
        type: 'fsync',
        node: id,
        incarnation: node.machine.incarnation,
      });
    }
    if (release !== null) this.#release(id, release);
    const due = node.machine.core.nextTimer();
    if (due !== null && (node.machine.tickAt === null || due < node.machine.tickAt)) {
      node.machine.tickAt = due;
      this.#queue.push(Math.max(due, this.#now), {
        type: 'tick',
        node: id,
        incarnation: node.machine.incarnation,
      });
    }
  }

  #release(id: NodeId, output: HeldOutput): void {
    for (const envelope of output.send) this.#send(id, envelope);
    for (const event of output.events) this.#event(id, event);
  }

  #event(id: NodeId, event: CoreEvent): void {
    if (event.kind !== 'decided') return;
    const slot = slotOf(event.decision);
    const value = decodeSlotValue(event.value);
    if (slot === null || value === null) return;
    const node = this.#node(id);
    if (slot === node.proposing) node.proposing = null;
    if (node.pending[0] !== undefined && value.change.signature === node.pending[0].signature)
      node.pending.shift();
    this.#apply(id, slot, value);
    this.#proposeNext(id);
  }

  /** The node applies slot `slot`'s value: the oracle checks it is the chosen one, chosen already. */
  #apply(id: NodeId, slot: number, value: SlotValue): void {
    const node = this.#node(id);
    if (slot !== node.log.head.n) return;
    const encoded = encodeSlotValue(value);
    const chosen = this.#oracle.chosen(slot);
    if (chosen === undefined) this.#violation(`${id} applied slot ${slot} before any value was chosen in it`);
    else if (chosen !== encoded)
      this.#violation(`${id} applied in slot ${slot} a value other than the chosen one`);
    const next = node.log.append(value);
    // A group left to the hostile member alone is its own: what it chooses there breaks no promise.
    if (typeof next === 'string' && id === HOSTILE) return;
    if (typeof next === 'string')
      return this.#violation(`${id} could not apply the chosen value of slot ${slot}: ${next}`);
    this.#log(`${id} applies slot ${slot}: ${value.change.type} → epoch ${next.n}`);
    this.#open(id);
  }

  /** Opens the node's open slot with the acceptors of the epoch it follows (or, with the bug, the one before). */
  #open(id: NodeId): void {
    const node = this.#node(id);
    const head = node.log.head;
    const epoch = this.#bug === 'wrong-epoch-acceptors' ? (node.log.epoch(head.n - 1) ?? head) : head;
    this.#step(id, { kind: 'open', decision: slotDecision(head.n), config: slotConfig(epoch) });
  }

  #send(from: NodeId, envelope: Envelope): void {
    const { to, message } = envelope;
    if (message.kind === 'accepted') this.#oracle.noteAccepted(from, message);
    if (from === to) return this.#queue.push(this.#now, { type: 'deliver', from, to, message });
    const side = this.#partition;
    if (side !== null && side.get(from) !== side.get(to)) return;
    const chaos = this.#now < CHAOS_MS;
    if (chaos && this.#rng.chance(0.05)) return;
    const copies = chaos && this.#rng.chance(0.03) ? 2 : 1;
    for (let i = 0; i < copies; i++)
      this.#queue.push(this.#now + this.#rng.int(1, chaos ? 80 : 20), { type: 'deliver', from, to, message });
  }

  /**
   * What members do every 250 ms (on every connection, in the node): tell a few peers which slot is
   * open here; one that is further answers with the outcome of that slot, with its certificate.
   */
  #gossip(id: NodeId, incarnation: number): void {
    const node = this.#node(id);
    if (!node.machine.alive || node.machine.incarnation !== incarnation) return;
    this.#queue.push(this.#now + 250, { type: 'gossip', node: id, incarnation });
    const head = node.log.head;
    const peers = [...this.#nodes.keys()].filter((p) => p !== id);
    for (let i = 0; i < 2; i++) {
      const peer = peers[this.#rng.int(0, peers.length - 1)] as string;
      this.#send(id, { to: peer, message: { kind: 'query', decision: slotDecision(head.n) } });
    }
  }

  #restart(id: NodeId): void {
    const node = this.#node(id);
    if (node.machine.alive) return;
    this.#log(`${id} restarts`);
    node.machine.restart({ now: this.#now, random: () => this.#rng.next() }, SIM_CORE_OPTIONS, false);
    // The log is rebuilt from what the core holds on disk: each chosen slot, in order.
    node.log = new GroupLog(baseEpoch(), verify);
    for (;;) {
      const chosen = node.machine.core.decision(slotDecision(node.log.head.n))?.chosen ?? null;
      const value = chosen === null ? null : decodeSlotValue(chosen);
      if (value === null) break;
      if (typeof node.log.append(value) === 'string') break;
    }
    this.#open(id);
    this.#queue.push(this.#now, { type: 'gossip', node: id, incarnation: node.machine.incarnation });
  }

  #node(id: NodeId): GroupNode {
    return this.#nodes.get(id) as GroupNode;
  }

  #violation(text: string): void {
    if (this.#violations.length < 20) this.#violations.push(`${this.#now} ms: ${text}`);
  }

  #log(text: string): void {
    this.#trace?.push(`${this.#now} ${text}`);
  }
}
