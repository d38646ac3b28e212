import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { randomBytes } from 'node:crypto';
import { inputSchemas, parseInput } from '../api/schemas.ts';
import {
  SynodError,
  type AddPeerResult,
  type BidInput,
  type CloseInput,
  type CreateGroupInput,
  type CreateQuestionInput,
  type JoinGroupInput,
  type JoinResult,
  type NodeStatus,
  type PeerView,
  type ProposeInput,
  type ProposeResult,
  type QuestionView,
  type SynodApi,
  type SynodEvent,
  type TimelineEntry,
  type VoteInput,
} from '../api/types.ts';
import { decodeInvite, encodeInvite, InvalidInviteError, inviteAddresses } from '../model/invite.ts';
import { LIMITS } from '../model/limits.ts';
import type { WireMessage } from '../net/wire.ts';
import { DEFAULT_CORE_OPTIONS, SynodCore, type CoreOptions, type DurableDecision } from '../paxos/index.ts';
import { StorageWriteError, type StateLog } from '../storage/index.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import type { QuestionRecord } from './catalog.ts';
import { loadGroupConfig, saveGroupConfig, type GroupConfig } from './group-config.ts';
import { acquireDataDirLock, type DataDirLock, type OwnerKind } from './data-dir-lock.ts';
import { prepareDataDir, tightenFileModes } from './data-dir.ts';
import { createIdentity, loadIdentity, refuseLostIdentity } from './identity.ts';
import { openNodeStorage, type NodeStorage } from './node-storage.ts';
import { MemberRegistry } from './members.ts';
import { MemberSessions } from './member-sessions.ts';
import { MessageRouter } from './message-router.ts';
import { NodeEvents } from './node-events.ts';
import { isDialable, Membership } from './membership.ts';
import { describeDialError, NodeNetwork, peerOf } from './node-network.ts';
import { PaxosDriver } from './paxos-driver.ts';
import { QuestionCatalog, type QuestionLimits } from './question-catalog.ts';
import { QuestionExchange } from './question-exchange.ts';
import { checkProposal, defineQuestion, resultOf } from './question-requests.ts';
import { questionView } from './question-views.ts';
import { Signing } from './signing.ts';
import { Timelines } from './timeline.ts';
import { VoteBook, type VoteBookRecord } from './vote-book.ts';
import { VoteChecks } from './vote-checks.ts';
import { VoteDesk } from './vote-desk.ts';

/** How long a join waits for a member to answer, unless told. */
const JOIN_WAIT_MS = 8_000;
/** How long an added member has to say its hello once connected. */
const ADD_PEER_GREETING_MS = 3_000;
/** Addresses given by hand that group.json keeps (its reader refuses more than 64). */
const MAX_STATIC_PEERS = 32;

export interface NodeOptions {
  readonly dataDir: string;
  /** Multiaddrs to listen on; default all interfaces, a free TCP port. */
  readonly listen?: readonly string[];
  readonly mdns?: boolean;
  readonly mdnsIntervalMs?: number;
  /** Addresses (with /p2p/) to dial besides the remembered ones. */
  readonly staticPeers?: readonly string[];
  readonly coreOptions?: CoreOptions;
  /** Acceptors of the questions this node creates (1 to LIMITS.maxAcceptors, default 7). */
  readonly acceptorsPerQuestion?: number;
  readonly log?: Logger;
  /**
   * How many questions one member may ask (default LIMITS: 20 a minute, 1,000 in all). Every member
   * should use the same; only benchmarks raise them.
   */
  readonly questionLimits?: QuestionLimits;
  /** Which program runs this node, named to a second one that tries the same data directory. */
  readonly ownerKind?: OwnerKind;
}

interface Storage {
  readonly paxos: StateLog<DurableDecision>;
  readonly catalogLog: StateLog<QuestionRecord>;
  readonly catalog: QuestionCatalog;
  readonly driver: PaxosDriver;
  readonly votesLog: StateLog<VoteBookRecord>;
  readonly votes: VoteBook;
}

const DEFAULT_WAIT_MS = 10_000;

/**
 * One Synod member: identity, durable Paxos state, question catalog, group membership and the
 * network, wired together. It implements SynodApi, which the daemon serves over HTTP and the
 * Electron preload exposes over IPC; every input is validated here, once.
 */
export class SynodNode implements SynodApi {
  readonly peerId: string;
  readonly #dataDir: string;
  readonly #privateKey: PrivateKey;
  readonly #options: NodeOptions;
  readonly #log: Logger;
  readonly #members: MemberRegistry;
  readonly #membership: Membership;
  readonly #sessions: MemberSessions;
  readonly #storage: Storage | null;
  readonly #lock: DataDirLock;
  #storageError: string | null;
  #group: GroupConfig | null;
  /** This node's signatures and the checks of others', for its group (null until it is in one). */
  #votes: { readonly signing: Signing; readonly checks: VoteChecks } | null = null;
  #network: NodeNetwork | null = null;
  #rejectedMessages = 0;
  #messagesSent = 0;
  #messagesReceived = 0;
  readonly #events: NodeEvents;
  readonly #timelines = new Timelines();
  readonly #exchange: QuestionExchange | null;
  readonly #desk: VoteDesk | null;
  readonly #router: MessageRouter;

  private constructor(
    options: NodeOptions,
    privateKey: PrivateKey,
    members: MemberRegistry,
    group: GroupConfig | null,
    storage: Storage | null,
    storageError: string | null,
    lock: DataDirLock,
  ) {
    this.#lock = lock;
    this.#options = options;
    this.#dataDir = options.dataDir;
    this.#privateKey = privateKey;
    this.peerId = peerIdFromPrivateKey(privateKey).toString();
    this.#log = options.log ?? silentLogger;
    this.#events = new NodeEvents(this.#log);
    this.#members = members;
    this.#membership = new Membership(members, this.peerId, Date.now(), () => this.#votes?.signing ?? null);
    this.#sessions = new MemberSessions(this.#membership, {
      groupId: () => this.#group?.group.id ?? null,
      ownRecord: () => this.#membership.ownRecord(this.#group?.displayName ?? 'me', this.#ownAddresses()),
      send: (peer, message) => this.#send(peer, message),
      hangUp: (peer) => this.#network?.hangUp(peer),
      rejected: (from, reason) => {
        this.#rejectedMessages++;
        this.#log.warn('rejected a message', { from, reason });
      },
      greeted: (peer) => this.#router.greeted(peer),
      message: (from, message) => this.#router.message(from, message),
    });
    this.#group = group;
    if (group !== null) this.#useGroupKeys(group);
    this.#storage = storage;
    this.#storageError = storageError;
    this.#exchange =
      storage === null
        ? null
        : new QuestionExchange({
            catalog: storage.catalog,
            driver: storage.driver,
            send: (to, message) => this.#send(to, message),
            connectedPeers: () => this.#connectedPeers(),
            questionProblem: (definition) =>
              this.#requireVotes().checks.questionProblem(definition, Date.now(), (peer) =>
                this.#membership.knows(peer),
              ),
            outcomeProblem: (definition, outcome) =>
              this.#requireVotes().checks.outcomeProblem(definition, outcome.value, outcome.certificate),
            rejected: (from, reason) => {
              this.#rejectedMessages++;
              this.#log.warn('rejected a message', { from, reason });
            },
            changed: (record) => {
              this.#emit({ type: 'question', question: this.#questionView(record) });
              if (record.definition.deadline !== null) this.#desk?.schedule();
            },
            now: () => Date.now(),
          });
    this.#desk = storage === null ? null : this.#createDesk(storage);
    this.#router = new MessageRouter({
      log: this.#log,
      membership: this.#membership,
      timelines: this.#timelines,
      storage,
      exchange: this.#exchange,
      desk: this.#desk,
      checks: () => this.#votes?.checks ?? null,
      connectedPeers: () => this.#connectedPeers(),
      send: (to, message) => this.#send(to, message),
      redialSoon: (peer) => this.#network?.redialSoon(peer),
      memberAnnouncements: () => this.#memberAnnouncements(),
      peersChanged: (changed) => this.#emitPeers(changed),
      questionChanged: (record) => this.#emit({ type: 'question', question: this.#questionView(record) }),
      decided: (id) => this.#events.decided(id),
      rejected: (from, reason, count = 1) => {
        this.#rejectedMessages += count;
        this.#log.warn('rejected a message', { from, reason });
      },
      storageFailed: (error) => this.#onStorageFailure(error),
    });
  }

  #createDesk(storage: Storage): VoteDesk {
    return new VoteDesk({
      self: this.peerId,
      book: storage.votes,
      log: this.#log,
      question: (id) => storage.catalog.get(id),
      openRuleQuestions: () =>
        [...storage.catalog.values()].filter(
          (r) => r.definition.rule !== 'quick' && this.#chosen(r.id) === null,
        ),
      chosen: (id) => this.#chosen(id),
      checks: () => this.#requireVotes().checks,
      isMember: (peer) => peer === this.peerId || this.#membership.knows(peer),
      connectedPeers: () => this.#connectedPeers(),
      send: (to, message) => this.#send(to, message),
      rejected: (from, reason) => {
        this.#rejectedMessages++;
        this.#log.warn('rejected a message', { from, reason });
      },
      changed: (id) => {
        const record = storage.catalog.get(id);
        if (record !== undefined) this.#emit({ type: 'question', question: this.#questionView(record) });
      },
      close: async (id) => {
        await this.close({ questionId: id, waitMs: 0 });
      },
      now: () => Date.now(),
    });
  }

  static async start(options: NodeOptions): Promise<SynodNode> {
    const dir = options.dataDir;
    await prepareDataDir(dir);
    // One process owns a data directory: two would share a peer id and interleave their state logs.
    const lock = await acquireDataDirLock(dir, options.ownerKind ?? 'daemon');
    try {
      await tightenFileModes(dir);
      return await SynodNode.#start(options, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  static async #start(options: NodeOptions, lock: DataDirLock): Promise<SynodNode> {
    const dir = options.dataDir;
    const log = options.log ?? silentLogger;
    let privateKey = await loadIdentity(dir);
    if (privateKey === null) await refuseLostIdentity(dir);
    let opened: NodeStorage | null = null;
    let storageError: string | null = null;
    // A node that has an identity has voted under it: its state must be there (create only when new).
    const result = await openNodeStorage(dir, privateKey === null);
    if (result.ok) {
      opened = result.storage;
      if (opened.recovery.tornBytes > 0 || opened.recovery.repairedCommits > 0) {
        log.warn('recovered the state log after a crash', { ...opened.recovery });
      }
    } else {
      storageError = result.error;
      log.error('refusing to vote', { error: result.error });
    }
    privateKey ??= await createIdentity(dir);
    const members = await MemberRegistry.load(dir);
    const group = await loadGroupConfig(dir);
    const self = peerIdFromPrivateKey(privateKey).toString();

    let storage: Storage | null = null;
    let node: SynodNode | null = null;
    if (opened !== null) {
      const core = SynodCore.recover(
        self,
        opened.decisions,
        { now: Date.now(), random: Math.random },
        options.coreOptions ?? DEFAULT_CORE_OPTIONS,
        // Signed with the group's domain; a node in no group has no decision to vote on yet.
        (statement) => (node === null ? '' : (node.#votes?.signing.sign(statement) ?? '')),
      );
      const driver = new PaxosDriver(core, opened.paxos, {
        send: (to, message) => {
          if (node === null) return;
          node.#log.debug('paxos out', { to, message });
          node.#send(to, { type: 'paxos', message });
        },
        event: (event) => {
          if (node !== null) node.#router.coreEvent(event);
        },
        failed: (error) => {
          if (node !== null) node.#onStorageFailure(error);
        },
        sent: (to, message) => {
          if (node === null) return;
          node.#timelines.record('sent', to, message);
          // A message to itself is delivered locally at once: it is also received.
          if (to === self) node.#timelines.record('received', to, message);
        },
      });
      const catalog = new QuestionCatalog(
        opened.catalog,
        opened.questions,
        (error) => {
          if (node !== null) node.#onStorageFailure(error);
        },
        options.questionLimits,
      );
      storage = {
        paxos: opened.paxos,
        catalogLog: opened.catalog,
        catalog,
        driver,
        votesLog: opened.votes,
        votes: new VoteBook(opened.votes, opened.voteRecords),
      };
    }
    node = new SynodNode(options, privateKey, members, group, storage, storageError, lock);
    node.#reopenCatalogQuestions();
    node.#desk?.schedule();
    if (group !== null) await node.#startNetwork(group);
    log.info('node started', { peerId: self, group: group?.group.name ?? null, storageError });
    return node;
  }

  async stop(): Promise<void> {
    this.#desk?.stop();
    const network = this.#network;
    await this.#storage?.driver.stop();
    await network?.stop();
    this.#network = null;
    await this.#storage?.paxos.close();
    await this.#storage?.catalogLog.close();
    await this.#storage?.votesLog.close();
    await this.#members.flush();
    await this.#lock.release();
  }

  // ---- SynodApi -------------------------------------------------------------------------------

  async status(): Promise<NodeStatus> {
    return this.#status();
  }

  async createGroup(input: CreateGroupInput): Promise<NodeStatus> {
    const { groupName, displayName } = parseInput(inputSchemas.createGroup, input);
    this.#requireNoGroup();
    const group = {
      id: randomBytes(8).toString('hex'),
      name: groupName,
      key: randomBytes(32).toString('hex'),
    };
    await this.#joinAs({ group, displayName, staticPeers: [] });
    return this.#status();
  }

  async joinGroup(input: JoinGroupInput): Promise<JoinResult> {
    const { invite: text, displayName, waitMs } = parseInput(inputSchemas.joinGroup, input);
    this.#requireNoGroup();
    let invite;
    try {
      invite = decodeInvite(text);
    } catch (error) {
      if (error instanceof InvalidInviteError) throw new SynodError('invalid-input', error.message);
      throw error;
    }
    const { id, name, key } = invite;
    const addresses = invite.addresses.filter(isDialable);
    await this.#joinAs({ group: { id, name, key }, displayName, staticPeers: addresses });
    const wait = waitMs ?? JOIN_WAIT_MS;
    const reached = await this.#waitForMembers(wait);
    const status = this.#status();
    if (reached.length > 0) {
      return { status, reached: reached.map((p) => ({ peerId: p, name: this.#nameOf(p) })), problem: null };
    }
    const errors = [
      ...new Set(
        addresses.flatMap((a) => {
          const peer = peerOf(a);
          return (peer === null ? null : this.#network?.lastDial(peer)?.error) ?? [];
        }),
      ),
    ];
    const tried =
      addresses.length === 0
        ? 'the invite carries no address, and no member answered on the local network'
        : `nobody answered at the invite's ${addresses.length} address${addresses.length === 1 ? '' : 'es'}` +
          (errors.length > 0 ? ` (${errors.join('; ')})` : '');
    return {
      status,
      reached: [],
      problem:
        `reached no member of "${name}" within ${Math.round(wait / 1000)} s: ${tried}. This laptop is in ` +
        'the group and keeps trying; ask a member for a new invite (it carries their current addresses), ' +
        'or add a member by address',
    };
  }

  async invite(): Promise<{ invite: string }> {
    const group = this.#requireGroup();
    const online = this.#connectedPeers().flatMap((p) => this.#members.get(p) ?? []);
    return {
      invite: encodeInvite({ ...group.group, addresses: inviteAddresses(this.#ownAddresses(), online) }),
    };
  }

  async peers(): Promise<PeerView[]> {
    return this.#peerViews();
  }

  async addPeer(input: { address: string }): Promise<AddPeerResult> {
    const { address } = parseInput(inputSchemas.addPeer, input);
    const group = this.#requireGroup();
    const peer = isDialable(address) ? peerOf(address) : null;
    if (peer === null) {
      throw new SynodError(
        'invalid-input',
        `"${address}" is not a full address: it looks like /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW… (the other laptop shows it in its member details, or in "synod status")`,
      );
    }
    if (peer === this.peerId) throw new SynodError('invalid-input', "that is this laptop's own address");
    const network = this.#network;
    if (network === null) throw new SynodError('no-group', 'this node is not connected to its group yet');
    try {
      await network.dialAddress(address);
    } catch (error) {
      this.#emitPeers([]); // the member's details show the failed attempt
      throw new SynodError(
        'unreachable',
        `nobody answered at ${address} (${describeDialError(error)}). Nothing was added: check that Synod runs on ` +
          'that laptop, that it is in this group, and that the address is its current one',
      );
    }
    if ((await this.#waitForMembers(ADD_PEER_GREETING_MS, peer)).length === 0) {
      throw new SynodError(
        'unreachable',
        `${address} answered but did not introduce itself as a member of this group. Nothing was added`,
      );
    }
    if (!group.staticPeers.includes(address)) {
      // The newest addresses are kept: the oldest given by hand are the likeliest to be out of date.
      const staticPeers = [...group.staticPeers, address].slice(-MAX_STATIC_PEERS);
      const updated = { ...group, staticPeers };
      await this.#saveGroup(updated);
      this.#group = updated;
    }
    this.#emitPeers([]); // the member's details show the attempt that connected
    return { peerId: peer, name: this.#nameOf(peer) };
  }

  /** Waits until a member (or `only` that one) has said its hello here; the members that have. */
  async #waitForMembers(timeoutMs: number, only?: string): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const greeted = this.#connectedPeers().filter((p) => only === undefined || p === only);
      if (greeted.length > 0 || Date.now() >= deadline) return greeted;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async questions(): Promise<QuestionView[]> {
    return (this.#storage?.catalog.newestFirst() ?? []).map((r) => this.#questionView(r));
  }

  async createQuestion(input: CreateQuestionInput): Promise<QuestionView> {
    const request = parseInput(inputSchemas.createQuestion, input);
    this.#requireGroup();
    const storage = this.#requireStorage();
    // The same limits as every other member applies to this node's questions.
    const now = Date.now();
    const limit = storage.catalog.limitProblem(this.peerId, now);
    if (limit !== null) throw new SynodError('invalid-input', `${limit}; try again later`);
    const definition = defineQuestion(
      { ...request, id: randomBytes(16).toString('hex') },
      {
        self: this.peerId,
        members: this.#members.all(),
        maxAcceptors: this.#options.acceptorsPerQuestion ?? LIMITS.defaultAcceptors,
        now,
        checks: this.#requireVotes().checks,
      },
    );
    const { acceptors, learners } = definition;
    await storage.catalog.add(definition).catch((error: unknown) => {
      throw new SynodError('storage-refused', error instanceof Error ? error.message : String(error));
    });
    const record = storage.catalog.get(definition.id) ?? { id: definition.id, definition, decidedAt: null };
    storage.driver.input({ kind: 'open', decision: definition.id, config: { acceptors, learners } });
    await storage.driver.settled();
    for (const peer of this.#connectedPeers())
      this.#send(peer, { type: 'question', question: definition, outcome: null });
    const view = this.#questionView(record);
    this.#emit({ type: 'question', question: view });
    this.#desk?.schedule();
    return view;
  }

  async vote(input: VoteInput): Promise<QuestionView> {
    const { questionId, option } = parseInput(inputSchemas.vote, input);
    return this.#cast(questionId, option, null);
  }

  async bid(input: BidInput): Promise<QuestionView> {
    const { questionId, option, amount } = parseInput(inputSchemas.bid, input);
    return this.#cast(questionId, option, amount);
  }

  async #cast(questionId: string, option: string | undefined, amount: number | null): Promise<QuestionView> {
    this.#requireGroup();
    const storage = this.#requireStorage();
    await this.#requireDesk().cast(questionId, option, amount);
    const record = storage.catalog.get(questionId);
    if (record === undefined) throw new SynodError('not-found', `there is no question ${questionId}`);
    return this.#questionView(record);
  }

  /**
   * Closes a vote or an auction: proposes, through Paxos, this node's view of the votes. Whichever
   * close Paxos chooses is the final tally on every node.
   */
  async close(input: CloseInput): Promise<ProposeResult> {
    const { questionId, waitMs } = parseInput(inputSchemas.close, input);
    this.#requireGroup();
    const storage = this.#requireStorage();
    // Closed already: the outcome is the answer, as for a late proposal.
    if (this.#chosen(questionId) !== null && storage.catalog.get(questionId) !== undefined)
      return this.#result(questionId, null);
    const proposed = storage.driver.core.decision(questionId)?.proposer.proposal ?? null;
    const value = await this.#requireDesk().closeValue(questionId, proposed);
    const outcome = this.#events.outcome(questionId, waitMs ?? DEFAULT_WAIT_MS);
    storage.driver.input({ kind: 'propose', decision: questionId, value });
    await outcome;
    return this.#result(questionId, null);
  }

  async propose(input: ProposeInput): Promise<ProposeResult> {
    const { questionId, option, waitMs } = parseInput(inputSchemas.propose, input);
    this.#requireGroup();
    const storage = this.#requireStorage();
    const record = storage.catalog.get(questionId);
    if (record === undefined) throw new SynodError('not-found', `there is no question ${questionId}`);
    const decision = storage.driver.core.decision(questionId);
    checkProposal(record.definition, decision, option);
    if ((decision?.chosen ?? null) === null) {
      const outcome = this.#events.outcome(questionId, waitMs ?? DEFAULT_WAIT_MS);
      storage.driver.input({
        kind: 'propose',
        decision: questionId,
        value: this.#requireVotes().checks.propose(record.definition, option, this.peerId),
      });
      await outcome;
    }
    return this.#result(questionId, option);
  }

  #result(questionId: string, proposed: string | null): ProposeResult {
    const record = this.#requireStorage().catalog.get(questionId);
    if (record === undefined) throw new SynodError('not-found', `there is no question ${questionId}`);
    return resultOf(this.#questionView(record), this.peerId, proposed);
  }

  async timeline(input: { questionId: string }): Promise<TimelineEntry[]> {
    const { questionId } = parseInput(inputSchemas.timeline, input);
    if (this.#storage?.catalog.get(questionId) === undefined) {
      throw new SynodError('not-found', `there is no question ${questionId}`);
    }
    return this.#timelines.of(questionId);
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  // ---- group and network ----------------------------------------------------------------------

  /** group.json is not acceptor state: a failed write is refused with its reason, and voting goes on. */
  async #saveGroup(config: GroupConfig): Promise<void> {
    try {
      await saveGroupConfig(this.#dataDir, config);
    } catch (error) {
      if (error instanceof StorageWriteError) throw new SynodError('storage-refused', error.message);
      throw error;
    }
  }

  async #joinAs(config: GroupConfig): Promise<void> {
    await this.#saveGroup(config);
    this.#group = config;
    this.#useGroupKeys(config);
    await this.#startNetwork(config);
    this.#emit({ type: 'status', status: this.#status() });
  }

  async #startNetwork(config: GroupConfig): Promise<void> {
    this.#network = await NodeNetwork.start(
      {
        privateKey: this.#privateKey,
        self: this.peerId,
        group: config.group,
        listen: this.#options.listen ?? ['/ip4/0.0.0.0/tcp/0'],
        mdns: this.#options.mdns ?? true,
        ...(this.#options.mdnsIntervalMs === undefined
          ? {}
          : { mdnsIntervalMs: this.#options.mdnsIntervalMs }),
        staticPeers: () => [...(this.#group?.staticPeers ?? []), ...(this.#options.staticPeers ?? [])],
        members: this.#members,
        hints: () => this.#membership.hints(),
        log: this.#log,
      },
      {
        onMessage: (from, message) => {
          this.#messagesReceived++;
          this.#sessions.receive(from, message);
        },
        onRejected: (from, reason) => {
          this.#rejectedMessages++;
          this.#log.warn('rejected a message', { from, reason });
        },
        onConnected: (peer) => this.#onConnected(peer),
        onDisconnected: (peer) => this.#onDisconnected(peer),
      },
    );
  }

  /** The peers connected now that said a valid hello: the members messages go to. */
  #connectedPeers(): string[] {
    const network = this.#network;
    return network === null ? [] : this.#sessions.members().filter((peer) => network.isConnected(peer));
  }

  #send(peer: string, message: WireMessage): void {
    if (this.#network === null) return;
    this.#messagesSent++;
    this.#network.send(peer, message);
  }

  #onConnected(peer: string): void {
    if (this.#group === null) return;
    this.#network?.redialSoon(peer);
    // Nothing is shared with the peer until it says a valid hello (see #onGreeted).
    this.#sessions.connected(peer);
  }

  #onDisconnected(peer: string): void {
    if (this.#network?.isConnected(peer)) return;
    this.#sessions.disconnected(peer);
    this.#exchange?.disconnected(peer);
    // A connection that never said hello is no member: nothing to note about it.
    if (this.#members.get(peer) === undefined) return;
    if (this.#members.upsert(peer, { online: false }, Date.now())) this.#emitPeers([peer]);
  }

  #onStorageFailure(error: Error): void {
    this.#storageError = error.message;
    this.#log.error('state log failed; this node stops voting', { error: error.message });
    this.#emit({ type: 'status', status: this.#status() });
  }

  #reopenCatalogQuestions(): void {
    const storage = this.#storage;
    if (storage === null) return;
    // Questions whose state is on disk were restored with it; only a question whose catalog write
    // landed just before a crash, ahead of its state, is opened here.
    const now = Date.now();
    for (const record of storage.catalog.values()) {
      const decision = storage.driver.core.decision(record.id);
      // Decided on disk, but the catalog's note of when was lost in a crash: it is known since now.
      if ((decision?.chosen ?? null) !== null && record.decidedAt === null)
        storage.catalog.markDecided(record.id, now);
      if (decision !== undefined) continue;
      const { acceptors, learners } = record.definition;
      storage.driver.input({ kind: 'open', decision: record.id, config: { acceptors, learners } });
    }
  }

  // ---- views ----------------------------------------------------------------------------------

  #status(): NodeStatus {
    return {
      peerId: this.peerId,
      displayName: this.#group?.displayName ?? null,
      group: this.#group === null ? null : { id: this.#group.group.id, name: this.#group.group.name },
      addresses: this.#ownAddresses(),
      storageError: this.#storageError,
      rejectedMessages: this.#rejectedMessages,
      traffic: { sent: this.#messagesSent, received: this.#messagesReceived },
    };
  }

  #ownAddresses(): string[] {
    return this.#network?.ownAddresses() ?? [];
  }

  #memberAnnouncements() {
    return this.#membership.announcements(this.#group?.displayName ?? 'me', this.#ownAddresses());
  }

  #peerViews(): PeerView[] {
    return this.#members
      .all()
      .filter((m) => m.peerId !== this.peerId)
      .map((m) => ({
        peerId: m.peerId,
        name: m.name,
        online: m.online,
        lastSeen: m.lastSeen,
        connectedSince: m.online ? m.lastSeen : null,
        addresses: m.addresses,
        lastDial: this.#network?.lastDial(m.peerId) ?? null,
      }));
  }

  /** Tells the UI about members, and about the open questions whose reachability `changed` touches. */
  #emitPeers(changed: readonly string[]): void {
    this.#emit({ type: 'peers', peers: this.#peerViews() });
    for (const record of this.#storage?.catalog.values() ?? []) {
      if (this.#chosen(record.id) !== null) continue;
      if (record.definition.acceptors.some((a) => changed.includes(a)))
        this.#emit({ type: 'question', question: this.#questionView(record) });
    }
  }

  #chosen(id: string): string | null {
    return this.#storage?.driver.core.decision(id)?.chosen ?? null;
  }

  #nameOf(peerId: string): string {
    return peerId === this.peerId ? (this.#group?.displayName ?? 'me') : this.#members.nameOf(peerId);
  }

  #questionView(record: QuestionRecord): QuestionView {
    return questionView(record, this.#storage?.driver.core.decision(record.id), {
      self: this.peerId,
      nameOf: (peerId) => this.#nameOf(peerId),
      isOnline: (peerId) =>
        peerId === this.peerId ? this.#storageError === null : (this.#members.get(peerId)?.online ?? false),
      votes: (question) => this.#storage?.votes.standing(question) ?? [],
      voteSet: (question, digest) => this.#storage?.votes.set(question, digest)?.votes,
    });
  }

  #emit(event: SynodEvent): void {
    this.#events.emit(event);
  }

  // ---- guards ---------------------------------------------------------------------------------

  #requireGroup(): GroupConfig {
    if (this.#group === null) {
      throw new SynodError(
        'no-group',
        'this node is in no group yet: create one, or join one with an invite',
      );
    }
    return this.#group;
  }

  #requireNoGroup(): void {
    if (this.#group !== null) {
      throw new SynodError(
        'already-in-group',
        `this node is already in the group "${this.#group.group.name}"`,
      );
    }
  }

  #useGroupKeys(config: GroupConfig): void {
    const signing = new Signing(config.group.id, this.#privateKey);
    this.#votes = { signing, checks: new VoteChecks(signing) };
  }

  #requireVotes(): { readonly signing: Signing; readonly checks: VoteChecks } {
    if (this.#votes === null) throw new SynodError('no-group', 'this node is in no group yet');
    return this.#votes;
  }

  #requireDesk(): VoteDesk {
    if (this.#desk === null)
      throw new SynodError('storage-refused', this.#storageError ?? 'no state on disk');
    return this.#desk;
  }

  #requireStorage(): Storage {
    if (this.#storage === null || this.#storageError !== null) {
      throw new SynodError('storage-refused', this.#storageError ?? 'the state on disk cannot be used');
    }
    return this.#storage;
  }
}
