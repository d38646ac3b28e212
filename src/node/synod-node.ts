import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { inputSchemas, parseInput } from '../api/schemas.ts';
import {
  SynodError,
  type AddPeerResult,
  type GroupView,
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
import { LIMITS } from '../model/limits.ts';
import type { CoreOptions } from '../paxos/index.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import { loadGroupConfig, type GroupConfig } from './network/group-config.ts';
import { GroupLink } from './network/group-link.ts';
import { acquireDataDirLock, type DataDirLock, type OwnerKind } from './durable/data-dir-lock.ts';
import { prepareDataDir, tightenFileModes } from './durable/data-dir.ts';
import { createIdentity, loadIdentity, refuseLostIdentity } from './identity/identity.ts';
import { openNodeStorage, type NodeStorage } from './durable/node-storage.ts';
import {
  assembleNodeState,
  closeNodeState,
  reopenCatalogQuestions,
  type NodeState,
} from './durable/node-state.ts';
import { MemberRegistry } from './members/members.ts';
import { MemberSessions } from './members/member-sessions.ts';
import { MessageRouter } from './message-router.ts';
import { NodeEvents } from './node-events.ts';
import { Membership } from './members/membership.ts';
import type { QuestionLimits } from './questions/question-catalog.ts';
import { QuestionExchange } from './questions/question-exchange.ts';
import { QuestionApi } from './questions/question-api.ts';
import { NodeViews } from './node-views.ts';
import { Signing } from './identity/signing.ts';
import { Timelines } from './timeline.ts';
import { isForgery, VoteChecks } from './votes/vote-checks.ts';
import type { QuestionDefinition } from '../model/question.ts';
import type { GroupChange } from '../model/group/changes.ts';
import { GroupStore } from './group/group-store.ts';
import { GroupRoom } from './group/group-room.ts';
import { GroupApi } from './group/group-api.ts';
import { VoteDesk } from './votes/vote-desk.ts';

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
  /**
   * A group this node creates keeps a group log (src/node/group) unless this is false: who belongs is
   * decided by the group, one Paxos slot per change. Groups joined with an invite of such a group keep
   * one too; a group made without one (false, or by an older Synod) keeps working without.
   */
  readonly groupLog?: boolean;
}

/**
 * One Synod member: identity, durable Paxos state, question catalog, group membership and the
 * network, wired together. It implements SynodApi, which the daemon serves over HTTP and the
 * Electron preload exposes over IPC; every input is validated here, once.
 */
export class SynodNode implements SynodApi {
  readonly peerId: string;
  readonly #privateKey: PrivateKey;
  readonly #log: Logger;
  readonly #members: MemberRegistry;
  readonly #membership: Membership;
  readonly #sessions: MemberSessions;
  readonly #storage: NodeState | null;
  readonly #lock: DataDirLock;
  #storageError: string | null;
  readonly #link: GroupLink;
  /** This node's signatures and the checks of others', for its group (null until it is in one). */
  #votes: { readonly signing: Signing; readonly checks: VoteChecks } | null = null;
  #rejectedMessages = 0;
  readonly #events: NodeEvents;
  readonly #timelines = new Timelines();
  readonly #exchange: QuestionExchange | null;
  readonly #desk: VoteDesk | null;
  readonly #router: MessageRouter;
  readonly #questionApi: QuestionApi;
  readonly #views: NodeViews;
  readonly #groupApi: GroupApi;
  readonly #options: NodeOptions;
  #group: GroupRoom | null = null;

  private constructor(
    options: NodeOptions,
    privateKey: PrivateKey,
    members: MemberRegistry,
    group: GroupConfig | null,
    storage: NodeState | null,
    storageError: string | null,
    lock: DataDirLock,
  ) {
    this.#lock = lock;
    this.#options = options;
    this.#privateKey = privateKey;
    this.peerId = peerIdFromPrivateKey(privateKey).toString();
    this.#log = options.log ?? silentLogger;
    this.#events = new NodeEvents(this.#log);
    this.#members = members;
    this.#membership = new Membership(members, this.peerId, Date.now(), () => this.#votes?.signing ?? null);
    this.#link = new GroupLink(
      {
        dataDir: options.dataDir,
        privateKey,
        self: this.peerId,
        log: this.#log,
        members,
        ...(options.listen === undefined ? {} : { listen: options.listen }),
        ...(options.mdns === undefined ? {} : { mdns: options.mdns }),
        ...(options.mdnsIntervalMs === undefined ? {} : { mdnsIntervalMs: options.mdnsIntervalMs }),
        ...(options.staticPeers === undefined ? {} : { extraPeers: options.staticPeers }),
      },
      {
        hints: () => this.#membership.hints(),
        greeted: () => this.#sessions.members(),
        received: (from, message, bytes) => this.#sessions.receive(from, message, bytes),
        connected: (peer) => this.#sessions.connected(peer),
        disconnected: (peer) => this.#onDisconnected(peer),
        rejected: (from, reason) => this.#rejected(from, reason),
        useKeys: (config) => this.#useGroupKeys(config),
        joined: () => this.#emit({ type: 'status', status: this.#status() }),
        peersChanged: () => this.#views.emitPeers([]),
        nameOf: (peer) => this.#views.nameOf(peer),
      },
      group,
    );
    this.#sessions = new MemberSessions(this.#membership, {
      groupId: () => this.#link.config?.group.id ?? null,
      ownRecord: () =>
        this.#membership.ownRecord(this.#link.config?.displayName ?? 'me', this.#ownAddresses()),
      send: (peer, message) => this.#link.send(peer, message),
      hangUp: (peer) => this.#link.hangUp(peer),
      rejected: (from, reason) => this.#rejected(from, reason),
      greeted: (peer) => {
        this.#router.greeted(peer);
        this.#group?.met(peer);
      },
      message: (from, message) => this.#router.message(from, message),
      // In a group that keeps a group log, only the members of its newest epoch are members.
      admits: (peer) => this.#group?.admits(peer) ?? true,
      applicant: (peer) => this.#group?.met(peer),
    });
    if (group !== null) this.#useGroupKeys(group);
    this.#storage = storage;
    this.#storageError = storageError;
    this.#views = new NodeViews({
      self: this.peerId,
      storage,
      members,
      displayName: () => this.#link.config?.displayName ?? null,
      lastDial: (peer) => this.#link.lastDial(peer),
      storageError: () => this.#storageError,
      emit: (event) => this.#emit(event),
      isMember: (peer) => this.#group?.admits(peer) ?? true,
    });
    this.#exchange =
      storage === null
        ? null
        : new QuestionExchange({
            catalog: storage.catalog,
            driver: storage.driver,
            send: (to, message) => this.#link.send(to, message),
            connectedPeers: () => this.#link.connectedPeers(),
            questionProblem: (definition) => this.#questionProblem(definition),
            waits: (from, definition) => this.#group?.waits(from, definition) ?? false,
            outcomeProblem: (definition, outcome) =>
              this.#requireVotes().checks.outcomeProblem(definition, outcome.value, outcome.certificate),
            rejected: (from, reason) => this.#rejected(from, reason),
            changed: (record) => {
              this.#views.emitQuestion(record.id);
              if (record.definition.deadline !== null) this.#desk?.schedule();
            },
            decidedBefore: (id, value) =>
              this.#router.coreEvent({ kind: 'decided', decision: id, value, ownProposal: null }),
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
      connectedPeers: () => this.#link.connectedPeers(),
      send: (to, message) => this.#link.send(to, message),
      redialSoon: (peer) => this.#link.redialSoon(peer),
      memberAnnouncements: () => this.#memberAnnouncements(),
      peersChanged: (changed) => this.#views.emitPeers(changed),
      questionChanged: (record) => this.#views.emitQuestion(record.id),
      decided: (id) => this.#events.decided(id),
      rejected: (from, reason, count) => this.#rejected(from, reason, count),
      storageFailed: (error) => this.#onStorageFailure(error),
      group: () => this.#group?.routes() ?? null,
    });
    this.#questionApi = new QuestionApi({
      self: this.peerId,
      acceptorsPerQuestion: options.acceptorsPerQuestion ?? LIMITS.defaultAcceptors,
      requireGroup: () => {
        this.#link.requireGroup();
        this.#group?.admin.requireMember();
      },
      requireStorage: () => this.#requireStorage(),
      requireChecks: () => this.#requireVotes().checks,
      requireDesk: () => this.#requireDesk(),
      members: () => this.#group?.questionMembers((p) => this.#members.get(p)) ?? this.#members.all(),
      groupEpoch: () => this.#group?.store.head.n,
      connectedPeers: () => this.#link.connectedPeers(),
      send: (peer, message) => this.#link.send(peer, message),
      view: (id) => this.#views.question(id),
      emit: (event) => this.#emit(event),
      outcome: (questionId, waitMs) => this.#events.outcome(questionId, waitMs),
      scheduleDeadlines: () => this.#desk?.schedule(),
    });
    this.#groupApi = new GroupApi({
      self: this.peerId,
      dataDir: options.dataDir,
      privateKey,
      groupLog: options.groupLog !== false,
      link: this.#link,
      room: () => this.#group,
      startRoom: (store, ownJoin, signing) => this.#startGroupLog(store, ownJoin, signing),
      requireStorage: () => void this.#requireStorage(),
      members: () => this.#sessions.members(),
      applicants: () => this.#sessions.applicants(),
      nameOf: (peer) => this.#views.nameOf(peer),
      status: () => this.#status(),
      statusChanged: () => this.#emit({ type: 'status', status: this.#status() }),
    });
  }

  /**
   * A message refused: counted and logged; a forged signature also counts against its sender, which
   * is cut off after a few (see MemberSessions.forged).
   */
  #rejected(from: string, reason: string, count = 1): void {
    this.#rejectedMessages += count;
    this.#log.warn('rejected a message', { from, reason });
    if (isForgery(reason)) this.#sessions.forged(from);
  }

  #createDesk(storage: NodeState): VoteDesk {
    return new VoteDesk({
      self: this.peerId,
      book: storage.votes,
      log: this.#log,
      question: (id) => storage.catalog.get(id),
      openRuleQuestions: () =>
        [...storage.catalog.ruleQuestions()].filter((r) => this.#chosen(r.id) === null),
      chosen: (id) => this.#chosen(id),
      checks: () => this.#requireVotes().checks,
      connectedPeers: () => this.#link.connectedPeers(),
      send: (to, message) => this.#link.send(to, message),
      rejected: (from, reason) => this.#rejected(from, reason),
      changed: (id) => this.#views.emitQuestion(id),
      close: async (id) => {
        await this.close({ questionId: id, waitMs: 0 });
      },
      proposal: (id) => storage.driver.core.decision(id)?.proposer.proposal ?? null,
      accepted: (id) => storage.driver.core.decision(id)?.acceptor.accepted?.value ?? null,
      revise: (id, value) => storage.driver.input({ kind: 'revise', decision: id, value }),
      redeliver: (from, message) => this.#router.message(from, { type: 'paxos', message }),
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
    members.startNotingConnections();
    const group = await loadGroupConfig(dir);
    const self = peerIdFromPrivateKey(privateKey).toString();

    let node: SynodNode | null = null;
    const storage =
      opened === null
        ? null
        : assembleNodeState(self, opened, options, {
            // Signed with the group's domain; a node in no group has no decision to vote on yet.
            sign: (statement) => (node === null ? '' : (node.#votes?.signing.sign(statement) ?? '')),
            send: (to, message) => {
              if (node === null) return;
              node.#log.debug('paxos out', { to, message });
              node.#link.send(to, { type: 'paxos', message });
            },
            event: (event) => {
              if (node !== null) node.#router.coreEvent(event);
            },
            failed: (error) => {
              if (node !== null) node.#onStorageFailure(error);
            },
            sent: (to, message) => {
              if (node === null || message.decision.startsWith('group:')) return;
              node.#timelines.record('sent', to, message);
              // A message to itself is delivered locally at once: it is also received.
              if (to === self) node.#timelines.record('received', to, message);
            },
            acceptable: (decision, value) =>
              node === null || node.#desk === null ? true : node.#desk.acceptable(decision, value),
            admitsOwn: (message) => node === null || node.#desk === null || node.#desk.admitsOwn(message),
          });
    const started = new SynodNode(options, privateKey, members, group, storage, storageError, lock);
    node = started;
    if (storage !== null)
      await reopenCatalogQuestions(storage, Date.now()).catch((error: unknown) =>
        started.#onStorageFailure(error instanceof Error ? error : new Error(String(error))),
      );
    node.#desk?.schedule();
    // A vote decided while this node lacked its votes (a crash, or the votes never came): ask again.
    for (const record of storage?.catalog.ruleQuestions() ?? []) {
      const chosen = node.#chosen(record.id);
      if (chosen !== null) node.#desk?.wantChosenSet(record.definition, chosen);
    }
    if (group !== null && storage !== null && node.#votes !== null) {
      const store = await GroupStore.open(dir, node.#votes.signing);
      if (store !== null) await node.#startGroupLog(store, null, node.#votes.signing);
    }
    // A laptop that left its group or was removed from it takes no more part: it does not connect.
    if (node.#group?.gone === true)
      log.info('this laptop is no longer in its group: it keeps what it knew, offline');
    else await node.#link.start();
    log.info('node started', { peerId: self, group: group?.group.name ?? null, storageError });
    return node;
  }

  async stop(): Promise<void> {
    await this.#group?.stop();
    this.#desk?.stop();
    this.#exchange?.stop();
    await this.#storage?.driver.stop();
    await this.#link.stop();
    if (this.#storage !== null) await closeNodeState(this.#storage);
    await this.#group?.close();
    await this.#members.stop();
    await this.#lock.release();
  }

  // ---- SynodApi -------------------------------------------------------------------------------

  async status(): Promise<NodeStatus> {
    return this.#status();
  }

  createGroup(input: CreateGroupInput): Promise<NodeStatus> {
    return this.#groupApi.createGroup(input);
  }

  joinGroup(input: JoinGroupInput): Promise<JoinResult> {
    return this.#groupApi.joinGroup(input);
  }

  invite(input?: { singleUse?: boolean }): Promise<{ invite: string }> {
    return this.#groupApi.invite(input);
  }

  group(): Promise<GroupView> {
    return this.#groupApi.group();
  }

  renameGroup(input: { name: string }): Promise<GroupView> {
    return this.#groupApi.renameGroup(input);
  }

  revokeInvite(input: { invite: string }): Promise<GroupView> {
    return this.#groupApi.revokeInvite(input);
  }

  leaveGroup(): Promise<GroupView> {
    return this.#groupApi.leaveGroup();
  }

  requestRemoval(input: { member: string }): Promise<GroupView> {
    return this.#groupApi.requestRemoval(input);
  }

  approveRemoval(input: { member: string }): Promise<GroupView> {
    return this.#groupApi.approveRemoval(input);
  }

  async peers(): Promise<PeerView[]> {
    return this.#views.peers();
  }

  addPeer(input: { address: string }): Promise<AddPeerResult> {
    return this.#link.addPeer(input);
  }

  async questions(): Promise<QuestionView[]> {
    return this.#views.questions();
  }

  createQuestion(input: CreateQuestionInput): Promise<QuestionView> {
    return this.#questionApi.createQuestion(input);
  }

  vote(input: VoteInput): Promise<QuestionView> {
    return this.#questionApi.vote(input);
  }

  bid(input: BidInput): Promise<QuestionView> {
    return this.#questionApi.bid(input);
  }

  close(input: CloseInput): Promise<ProposeResult> {
    return this.#questionApi.close(input);
  }

  propose(input: ProposeInput): Promise<ProposeResult> {
    return this.#questionApi.propose(input);
  }

  async timeline(input: { questionId: string }): Promise<TimelineEntry[]> {
    const { questionId } = parseInput(inputSchemas.timeline, input);
    if (this.#storage?.catalog.shown(questionId) === undefined) {
      throw new SynodError('not-found', `there is no question ${questionId}`);
    }
    return this.#timelines.of(questionId);
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  // ---- connections ----------------------------------------------------------------------------

  #onDisconnected(peer: string): void {
    this.#sessions.disconnected(peer);
    this.#exchange?.disconnected(peer);
    // A connection that never said hello is no member: nothing to note about it.
    if (this.#members.get(peer) === undefined) return;
    if (this.#members.upsert(peer, { online: false }, Date.now())) this.#views.emitPeers([peer]);
  }

  #onStorageFailure(error: Error): void {
    this.#storageError = error.message;
    this.#log.error('state log failed; this node stops voting', { error: error.message });
    this.#emit({ type: 'status', status: this.#status() });
  }

  // ---- views ----------------------------------------------------------------------------------

  #status(): NodeStatus {
    return {
      peerId: this.peerId,
      displayName: this.#link.config?.displayName ?? null,
      group:
        this.#link.config === null
          ? null
          : {
              id: this.#link.config.group.id,
              name: this.#group?.store.head.name ?? this.#link.config.group.name,
            },
      addresses: this.#ownAddresses(),
      storageError: this.#storageError,
      rejectedMessages: this.#rejectedMessages,
      forgedSignatures: this.#sessions.forgeries,
      cutOffPeers: this.#sessions.cutOffPeers(),
      traffic: this.#link.traffic,
    };
  }

  #ownAddresses(): string[] {
    return this.#link.ownAddresses();
  }

  #memberAnnouncements() {
    return this.#membership.announcements(this.#link.config?.displayName ?? 'me', this.#ownAddresses());
  }

  #chosen(id: string): string | null {
    return this.#storage?.driver.core.decision(id)?.chosen ?? null;
  }

  #emit(event: SynodEvent): void {
    this.#events.emit(event);
  }

  // ---- the group log --------------------------------------------------------------------------

  /** Runs the group log of this node's group (src/node/group/group-room.ts). */
  async #startGroupLog(store: GroupStore, ownJoin: GroupChange | null, signing: Signing): Promise<void> {
    const storage = this.#requireStorage();
    this.#group = await GroupRoom.start(
      {
        self: this.peerId,
        dataDir: this.#options.dataDir,
        log: this.#log,
        driver: storage.driver,
        send: (to, message) => this.#link.send(to, message),
        connectedPeers: () => [...this.#sessions.members(), ...this.#sessions.applicants()],
        members: () => this.#sessions.members(),
        applicants: () => this.#sessions.applicants(),
        admit: (peer) => this.#sessions.admit(peer),
        expel: (peer) => this.#sessions.expel(peer),
        leaveNetwork: () => this.#leaveNetwork(),
        rejected: (from, reason) => this.#rejected(from, reason),
        changed: () => {
          this.#emit({ type: 'status', status: this.#status() });
          this.#views.emitPeers([]);
        },
        viewChanged: () => {
          const group = this.#group;
          if (group !== null) this.#emit({ type: 'group', group: group.view() });
        },
        failed: (error) => this.#onStorageFailure(error),
      },
      store,
      signing,
      ownJoin,
    );
  }

  /** This laptop left its group or was removed: it stops connecting (see GroupRoom). */
  #leaveNetwork(): void {
    const online = this.#members
      .all()
      .filter((m) => m.online)
      .map((m) => m.peerId);
    this.#link
      .stop()
      .catch((error: unknown) => this.#log.warn('could not leave the network', { error: String(error) }))
      // Its own network stopping reports no disconnection: each member is noted offline here.
      .finally(() => {
        for (const peer of online) this.#onDisconnected(peer);
      });
  }

  /** A question from a peer: by the group log's members, in a group that keeps one. */
  #questionProblem(definition: QuestionDefinition): string | null {
    const checks = this.#requireVotes().checks;
    if (this.#group !== null) return this.#group.questionProblem(definition, checks);
    return checks.questionProblem(definition, Date.now(), (peer) => this.#membership.knows(peer));
  }

  // ---- guards ---------------------------------------------------------------------------------

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

  #requireStorage(): NodeState {
    if (this.#storage === null || this.#storageError !== null) {
      throw new SynodError('storage-refused', this.#storageError ?? 'the state on disk cannot be used');
    }
    return this.#storage;
  }
}
