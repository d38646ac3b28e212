/**
 * One soak run: a group of real daemons in network namespaces, a workload of questions (quick, vote,
 * sealed bid) driven through their HTTP API, the seed's faults, the final heal and the convergence
 * window; everything any node said goes into the history for the checker.
 *
 * Timeline of a run of S seconds: questions are asked until S − 36 s (their deadlines and closes all
 * fall before the heal), faults and other requests go on until S − 12 s, then everything heals: paused
 * nodes resume, dead ones start again, the network is whole. From then on nobody asks anything, and
 * every node is polled each second for 10 s (the convergence window).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { CreateQuestionInput, DecisionRule } from '../../src/api/types.ts';
import { Prng } from '../../src/sim/prng.ts';
import type { SoakBug } from './bugs.ts';
import { SoakNode, sleep, type RelayAnswer } from './cluster.ts';
import { describeFault, planFaults, type Fault } from './faults.ts';
import type { Entry, Shown, ShownOutcome } from './history.ts';
import type { SoakNetwork } from './network.ts';
import type { RelayCall } from './relay.ts';

export const CONVERGENCE_MS = 10_000;
/** The heal comes this long before the end: the convergence window and a little to start nodes. */
const HEAL_BEFORE_END_MS = CONVERGENCE_MS + 2_000;
/**
 * No new question in the last stretch before the heal: their deadlines (10 to 14 s after asking) and
 * the soak's closes and their retries (up to 9 s more) fall before it.
 */
const ASK_BEFORE_HEAL_MS = 24_000;
export const MIN_SECONDS = 60;
/** The share of requests whose answer is followed at once by kill -9 of the node that gave it. */
const KILL_AFTER_ANSWER = 0.05;

export interface SoakOptions {
  readonly seconds: number;
  readonly nodes: number;
  readonly seed: number;
  readonly bug: SoakBug | null;
  /** The run's directory: data directories, daemon logs, history.jsonl. */
  readonly base: string;
  readonly say: (line: string) => void;
  /** Set once SIGINT arrived: every loop ends at its next step. */
  readonly interrupted: () => boolean;
}

export interface Figures {
  asked: Record<DecisionRule, number>;
  /** `unknown`: the node did not know the question yet (the soak tries again). */
  proposals: { decided: number; pending: number; unknown: number; failed: number };
  votes: { vote: number; bid: number; failed: number };
  closes: { decided: number; pending: number; unknown: number; failed: number };
  kills: { random: number; afterAnswer: number; afterEvent: number };
  restarts: number;
  pauses: number;
  partitions: number;
  lossPeriods: number;
  skippedFaults: number;
  polls: number;
  events: number;
  daemonExits: number;
  storageErrors: number;
  /** Requests that failed, by call and error: most are expected (a node not knowing a question yet). */
  failures: Map<string, number>;
}

export interface SoakResult {
  readonly history: readonly Entry[];
  readonly figures: Figures;
}

export class Soak {
  readonly #o: SoakOptions;
  readonly #network: SoakNetwork;
  readonly #nodes: SoakNode[] = [];
  readonly #history: Entry[] = [];
  readonly #file: WriteStream;
  /** The workload's own draws that are not a scenario's (how long to wait between scenarios). */
  readonly #work: Prng;
  /** Tasks under way (restarts, ends of faults, scenarios): awaited at the heal. */
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #why = new Map<number, 'random' | 'answer' | 'event'>();
  readonly #downFor = new Map<number, number>();
  /** Kills promised but not yet done (a relay armed, an answer awaited). */
  #pendingKills = 0;
  #partitioned = false;
  #healing = false;
  #stopped = false;
  #t0 = 0;
  #questionCount = 0;
  #fatal: Error | null = null;
  readonly figures: Figures = {
    asked: { quick: 0, vote: 0, 'sealed-bid': 0 },
    proposals: { decided: 0, pending: 0, unknown: 0, failed: 0 },
    votes: { vote: 0, bid: 0, failed: 0 },
    closes: { decided: 0, pending: 0, unknown: 0, failed: 0 },
    kills: { random: 0, afterAnswer: 0, afterEvent: 0 },
    restarts: 0,
    pauses: 0,
    partitions: 0,
    lossPeriods: 0,
    skippedFaults: 0,
    polls: 0,
    events: 0,
    daemonExits: 0,
    storageErrors: 0,
    failures: new Map(),
  };

  constructor(options: SoakOptions, network: SoakNetwork) {
    this.#o = options;
    this.#network = network;
    this.#file = createWriteStream(join(options.base, 'history.jsonl'));
    this.#work = new Prng(options.seed ^ 0x5eed5eed);
    for (let i = 1; i <= options.nodes; i++)
      this.#nodes[i] = new SoakNode(i, options.base, network, options.bug, {
        event: (node, shown, stamp) => {
          this.figures.events++;
          this.#record({ kind: 'said', node, stamp, via: 'event', shown });
        },
        exited: (node, killed, detail) => this.#exited(node, killed, detail),
        killedAfterEvent: () => this.figures.kills.afterEvent++,
        relayDied: (_node, detail) => {
          if (!this.#stopped) this.#fatal ??= new Error(detail);
        },
      });
  }

  get nodes(): readonly SoakNode[] {
    return this.#nodes.slice(1);
  }

  // ---- the run ---------------------------------------------------------------------------------

  async run(): Promise<SoakResult> {
    await this.#network.setup();
    await this.#formGroup();
    const { seconds, seed, nodes } = this.#o;
    const end = seconds * 1_000;
    const healAt = end - HEAL_BEFORE_END_MS;
    const faults = planFaults(seed, nodes, 3_000, healAt - 1_000);
    this.#o.say(`the group is formed; ${faults.length} faults planned; running for ${seconds} s`);
    this.#t0 = Date.now();
    const pollers = this.nodes.map((n) => this.#poller(n));
    await Promise.all([this.#faults(faults, healAt), this.#workload(healAt - ASK_BEFORE_HEAL_MS, healAt)]);
    this.#check();
    await this.#heal();
    const healed = Date.now();
    this.#record({ kind: 'healed', at: healed });
    this.#o.say(
      `healed at ${((healed - this.#t0) / 1000).toFixed(1)} s; ${CONVERGENCE_MS / 1000} s of polls follow`,
    );
    await this.#sleepUntil(healed + CONVERGENCE_MS + 500);
    this.#stopped = true;
    await Promise.all(pollers);
    this.#check();
    await new Promise((resolve) => this.#file.end(resolve));
    return { history: this.#history, figures: this.figures };
  }

  close(): void {
    this.#stopped = true;
    for (const node of this.nodes) node.close();
    this.#file.end();
  }

  async #formGroup(): Promise<void> {
    for (const node of this.nodes) {
      await node.start();
      node.state = 'up';
    }
    const first = this.#node(1);
    await this.#must(first, 'createGroup', { groupName: 'soak', displayName: 'n1' });
    const { invite } = (await this.#must(first, 'invite', undefined)) as { invite: string };
    for (const node of this.nodes.slice(1))
      await this.#must(node, 'joinGroup', { invite, displayName: `n${node.index}`, waitMs: 15_000 }, 20_000);
    const deadline = Date.now() + 60_000;
    for (const node of this.nodes) {
      for (;;) {
        const peers = (await this.#must(node, 'peers', undefined)) as { online: boolean }[];
        if (peers.filter((p) => p.online).length === this.#o.nodes - 1) break;
        if (Date.now() > deadline)
          throw new Error(`node ${node.index} did not see every other node within 60 s`);
        await sleep(250);
      }
    }
  }

  async #must(node: SoakNode, call: RelayCall, input: unknown, timeoutMs = 15_000): Promise<unknown> {
    const answer = await node.call(call, input, { timeoutMs });
    if (!answer.ok) throw new Error(`node ${node.index}: ${call} failed: ${answer.error}`);
    return answer.value;
  }

  #record(entry: Entry): void {
    this.#history.push(entry);
    this.#file.write(`${JSON.stringify(entry)}\n`);
  }

  #node(i: number): SoakNode {
    const node = this.#nodes[i];
    if (node === undefined) throw new Error(`no node ${i}`);
    return node;
  }

  #active(until: number): boolean {
    return !this.#stopped && !this.#o.interrupted() && this.#fatal === null && Date.now() - this.#t0 < until;
  }

  async #sleepUntil(at: number): Promise<void> {
    while (Date.now() < at && !this.#o.interrupted() && this.#fatal === null)
      await sleep(Math.min(250, at - Date.now()));
  }

  #check(): void {
    if (this.#o.interrupted()) throw new Error('interrupted');
    if (this.#fatal !== null) throw this.#fatal;
  }

  #track<T>(task: Promise<T>): void {
    const tracked = task.catch((error: unknown) => {
      this.#fatal ??= error instanceof Error ? error : new Error(String(error));
    });
    this.#tasks.add(tracked);
    void tracked.finally(() => this.#tasks.delete(tracked));
  }

  /** Nodes not up (down, starting, paused) or about to be killed: at most a minority. */
  #faulty(): number {
    return this.nodes.filter((n) => n.state !== 'up').length + this.#pendingKills;
  }

  #mayTakeOut(node: SoakNode): boolean {
    return node.state === 'up' && !this.#healing && this.#faulty() < Math.floor((this.#o.nodes - 1) / 2);
  }

  // ---- polls -----------------------------------------------------------------------------------

  async #poller(node: SoakNode): Promise<void> {
    // Staggered, so that the nodes are not all asked in the same instant.
    await sleep(node.index * 200);
    while (!this.#stopped && !this.#o.interrupted() && this.#fatal === null) {
      if (node.state === 'up') await this.#poll(node, false);
      await sleep(this.#healing ? 1_000 : 1_500);
    }
  }

  async #poll(node: SoakNode, afterRestart: boolean): Promise<boolean> {
    const answer = await node.call('questions', undefined, { timeoutMs: 20_000 });
    if (!answer.ok) return false;
    this.figures.polls++;
    this.#record({
      kind: 'poll',
      node: node.index,
      sent: answer.sent,
      stamp: answer.stamp,
      questions: answer.value as Shown[],
      afterRestart,
    });
    return true;
  }

  // ---- crashes and restarts --------------------------------------------------------------------

  #exited(index: number, killed: boolean, detail: string): void {
    const node = this.#node(index);
    // A Ctrl-C reaches the daemons too (one process group): they stop, and nothing is to be said.
    if (this.#stopped || this.#o.interrupted()) return;
    if (!killed) {
      this.figures.daemonExits++;
      this.#o.say(`node ${index}'s daemon ended by itself (${detail}); see ${node.logFile}`);
    }
    const cause = killed ? (this.#why.get(index) ?? 'random') : 'itself';
    this.#why.delete(index);
    this.#record({ kind: 'killed', node: index, at: Date.now(), cause });
    const downMs = this.#downFor.get(index) ?? this.#work.int(500, 3_000);
    this.#downFor.delete(index);
    // At the heal, every node that is down is started anyway.
    if (!this.#healing) this.#track(sleep(downMs).then(() => this.#restart(node)));
  }

  /**
   * Starts a dead node cut off from the network, reads what it shows (its disk alone speaks: nobody
   * can tell it anything yet), then lets it back onto the network.
   */
  async #restart(node: SoakNode): Promise<void> {
    if (node.state !== 'down' || this.#stopped) return;
    const link = this.#network.links[node.index];
    if (link === undefined) return;
    link.isolated = true;
    await this.#network.apply(node.index);
    await node.start();
    this.figures.restarts++;
    const status = await node.call('status', undefined, { timeoutMs: 10_000 });
    if (status.ok) {
      const problem = (status.value as { storageError: string | null }).storageError;
      if (problem !== null) {
        this.figures.storageErrors++;
        this.#o.say(`node ${node.index} refuses its state after a restart: ${problem}`);
      }
    }
    for (let attempt = 0; attempt < 3 && !(await this.#poll(node, true)); attempt++) await sleep(200);
    link.isolated = false;
    await this.#network.apply(node.index);
    node.started();
  }

  // ---- faults ----------------------------------------------------------------------------------

  async #faults(plan: readonly Fault[], healAt: number): Promise<void> {
    for (const fault of plan) {
      await this.#sleepUntil(this.#t0 + fault.at);
      if (!this.#active(healAt)) return;
      if (!this.#inflict(fault)) {
        this.figures.skippedFaults++;
        continue;
      }
      this.#o.say(`  ${((Date.now() - this.#t0) / 1000).toFixed(1)} s: ${describeFault(fault)}`);
    }
  }

  #inflict(fault: Fault): boolean {
    switch (fault.kind) {
      case 'kill': {
        const node = this.#node(fault.node);
        if (!this.#mayTakeOut(node)) return false;
        this.figures.kills.random++;
        this.#why.set(node.index, 'random');
        this.#downFor.set(node.index, fault.downMs);
        this.#track(node.kill());
        return true;
      }
      case 'kill-after-event': {
        const node = this.#node(fault.node);
        if (!this.#mayTakeOut(node)) return false;
        this.#pendingKills++;
        this.#why.set(node.index, 'event');
        this.#downFor.set(node.index, fault.downMs);
        node.armKill(5_000);
        this.#track(sleep(5_100).then(() => this.#pendingKills--));
        return true;
      }
      case 'pause': {
        const node = this.#node(fault.node);
        if (!this.#mayTakeOut(node)) return false;
        this.figures.pauses++;
        const life = node.life;
        node.pause();
        this.#track(
          sleep(fault.ms).then(() => {
            if (node.life === life) node.resume();
          }),
        );
        return true;
      }
      case 'partition': {
        if (this.#partitioned) return false;
        this.#partitioned = true;
        this.figures.partitions++;
        const links = this.#network.links;
        fault.sides.forEach((side, i) => {
          const link = links[i];
          if (i > 0 && link !== undefined) link.side = side;
        });
        this.#track(
          this.#network.applyAll().then(async () => {
            await sleep(fault.ms);
            if (this.#healing) return;
            for (const link of links) link.side = 0;
            await this.#network.applyAll();
            this.#partitioned = false;
          }),
        );
        return true;
      }
      case 'loss': {
        const link = this.#network.links[fault.node];
        if (link === undefined || link.loss > 0) return false;
        this.figures.lossPeriods++;
        link.loss = fault.p;
        this.#track(
          this.#network.apply(fault.node).then(async () => {
            await sleep(fault.ms);
            if (this.#healing) return;
            link.loss = 0;
            await this.#network.apply(fault.node);
          }),
        );
        return true;
      }
    }
  }

  /** Every fault ends: paused nodes resume, dead ones start (cut off until polled), the network heals. */
  async #heal(): Promise<void> {
    this.#healing = true;
    // Restarts under way finish; the ends of faults still waiting see #healing and do nothing.
    const deadline = Date.now() + 60_000;
    while (this.#tasks.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.all([...this.#tasks]), sleep(1_000)]);
      this.#check();
    }
    for (const node of this.nodes) if (node.state === 'paused') node.resume();
    for (const link of this.#network.links) {
      link.side = 0;
      link.loss = 0;
    }
    this.#partitioned = false;
    await this.#network.applyAll();
    for (const node of this.nodes) if (node.state === 'down') await this.#restart(node);
    this.#check();
  }

  // ---- the workload ----------------------------------------------------------------------------

  async #workload(askUntil: number, until: number): Promise<void> {
    const running = new Set<Promise<void>>();
    while (this.#active(askUntil)) {
      if (running.size < 6) {
        const scenario = this.#scenario(until).catch((error: unknown) => {
          this.#fatal ??= error instanceof Error ? error : new Error(String(error));
        });
        running.add(scenario);
        void scenario.finally(() => running.delete(scenario));
      }
      await sleep(this.#work.int(1_000, 2_500));
    }
    await Promise.all(running);
  }

  /**
   * One question and what is done about it. Each scenario draws from a generator of its own, seeded
   * by the run's seed and its number, so that its choices do not depend on how others interleave.
   */
  async #scenario(until: number): Promise<void> {
    const n = ++this.#questionCount;
    const rng = new Prng((Math.imul(this.#o.seed, 0x9e3779b1) + n) >>> 0);
    const roll = rng.next();
    const rule: DecisionRule = roll < 0.5 ? 'quick' : roll < 0.75 ? 'vote' : 'sealed-bid';
    const asker = rng.int(1, this.#o.nodes);
    const title = `q${n}`;
    if (rule === 'quick') {
      const options = ['red', 'green', 'blue'];
      const id = await this.#ask(rng, asker, { title, options, rule });
      if (id === null) return;
      // Concurrent proposers, often of different options: two people pressing "propose" at once.
      const proposers = rng
        .shuffle(this.#all())
        .map((p) => ({ p, option: rng.pick(options), after: rng.int(0, 300) }));
      await Promise.all(
        proposers.slice(0, rng.int(1, 3)).map(async ({ p, option, after }) => {
          await sleep(after);
          await this.#retryUnknown(until, () =>
            this.#act(rng, until, p, 'propose', { questionId: id, option, waitMs: 4_000 }, rule),
          );
        }),
      );
      return;
    }
    const created = Date.now();
    // A deadline is at least 10 s away (the node refuses sooner ones).
    const deadline = created + rng.int(10_500, 14_000);
    const options = rule === 'vote' ? ['x', 'y', 'z'] : rng.chance(0.5) ? [] : ['lamp', 'chair'];
    const voters = rng
      .shuffle(this.#all())
      .slice(0, rng.int(2, this.#o.nodes))
      .map((v) => ({
        v,
        option: options.length === 0 ? undefined : rng.pick(options),
        amount: rng.int(1, 500),
      }));
    const askerCloses = rng.chance(0.5);
    const closeAt = askerCloses ? created + rng.int(3_000, 8_000) : deadline + rng.int(0, 1_000);
    const closer = askerCloses ? asker : rng.pick(this.#all());
    const id = await this.#ask(rng, asker, { title, options, rule, deadline });
    if (id === null) return;
    const votes = voters.map(async ({ v, option, amount }) => {
      await sleep(rng.int(0, Math.max(0, closeAt - Date.now() - 500)));
      const input =
        rule === 'vote'
          ? { questionId: id, option }
          : { questionId: id, amount, ...(option === undefined ? {} : { option }) };
      const answer = await this.#retryUnknown(until, () =>
        this.#act(rng, until, v, rule === 'vote' ? 'vote' : 'bid', input, rule),
      );
      if (answer?.ok) this.figures.votes[rule === 'vote' ? 'vote' : 'bid']++;
      else this.figures.votes.failed++;
    });
    // Without the asker's early close, the asker and the acceptors close by themselves at the
    // deadline, and the soak's own close races theirs.
    const close = (async () => {
      await sleep(Math.max(0, closeAt - Date.now()));
      const answer = await this.#retryUnknown(until, () =>
        this.#act(rng, until, closer, 'close', { questionId: id, waitMs: 4_000 }, rule),
      );
      if (answer?.ok && (answer.value as { state: string }).state === 'pending') {
        await sleep(3_000);
        await this.#act(rng, until, rng.pick(this.#all()), 'close', { questionId: id, waitMs: 4_000 }, rule);
      }
    })();
    await Promise.all([...votes, close]);
  }

  #all(): number[] {
    return Array.from({ length: this.#o.nodes }, (_, i) => i + 1);
  }

  async #ask(
    rng: Prng,
    asker: number,
    input: CreateQuestionInput & { rule: DecisionRule },
  ): Promise<string | null> {
    const answer = await this.#act(rng, Number.POSITIVE_INFINITY, asker, 'createQuestion', input, input.rule);
    if (answer === null || !answer.ok) return null;
    this.figures.asked[input.rule]++;
    return (answer.value as Shown).id;
  }

  /** Calls again while the node does not know the question yet, or is not up (bounded: 8 tries). */
  async #retryUnknown(
    until: number,
    attempt: () => Promise<RelayAnswer | null>,
  ): Promise<RelayAnswer | null> {
    for (let i = 0; i < 8; i++) {
      const answer = await attempt();
      if (answer !== null && (answer.ok || answer.code !== 'not-found')) return answer;
      if (!this.#active(until)) return answer;
      await sleep(500);
    }
    return null;
  }

  /**
   * One request to node i, unless it is not up (null). Now and then the node is killed (-9) right
   * after its answer: whatever it acknowledged must be on its disk by then.
   */
  async #act(
    rng: Prng,
    until: number,
    i: number,
    call: RelayCall,
    input: object,
    rule: DecisionRule,
  ): Promise<RelayAnswer | null> {
    const node = this.#node(i);
    if (node.state !== 'up' || !this.#active(until)) return null;
    const killAfter = rng.chance(KILL_AFTER_ANSWER) && this.#mayTakeOut(node);
    if (killAfter) {
      this.#pendingKills++;
      this.#why.set(i, 'answer');
    }
    const answer = await node.call(call, input, { timeoutMs: 15_000, rule, killAfter });
    if (killAfter) this.#pendingKills--;
    if (answer.ok && answer.killed) this.figures.kills.afterAnswer++;
    else if (killAfter && this.#why.get(i) === 'answer') this.#why.delete(i);
    if (!answer.ok) {
      const why = `${call}: ${answer.code === undefined ? '' : `${answer.code}: `}${answer.error.replace(/[0-9a-f]{32}/g, '…').slice(0, 100)}`;
      this.figures.failures.set(why, (this.figures.failures.get(why) ?? 0) + 1);
    }
    const question =
      'questionId' in input && typeof input.questionId === 'string' ? input.questionId : undefined;
    this.#recordAnswer(i, call, question, answer);
    return answer;
  }

  #recordAnswer(node: number, call: RelayCall, question: string | undefined, answer: RelayAnswer): void {
    const via = `${call} answer`;
    if (call === 'propose' || call === 'close') {
      const bucket = call === 'propose' ? this.figures.proposals : this.figures.closes;
      if (!answer.ok) {
        if (answer.code === 'not-found') bucket.unknown++;
        else bucket.failed++;
        return;
      }
      const { outcome, state } = answer.value as { state: string; outcome: ShownOutcome | null };
      if (state === 'decided') bucket.decided++;
      else bucket.pending++;
      if (outcome !== null && question !== undefined)
        this.#record({ kind: 'said-outcome', node, stamp: answer.stamp, via, question, outcome });
      return;
    }
    if (!answer.ok) return;
    const shown = answer.value as Shown;
    if (call === 'createQuestion')
      this.#record({ kind: 'asked', node, stamp: answer.stamp, question: shown.id });
    this.#record({ kind: 'said', node, stamp: answer.stamp, via, shown });
  }
}
