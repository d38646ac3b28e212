import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import {
  SynodError,
  type CreateGroupInput,
  type GroupSummary,
  type NodeStatus,
  type SynodApi,
  type SynodEvent,
} from '../api/types.ts';
import { LIMITS } from '../model/limits.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import { loadGroupConfig, type GroupConfig } from './network/group-config.ts';
import { GroupLink } from './network/group-link.ts';
import type { OpenedStorage } from './durable/node-storage.ts';
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
import { QuestionExchange } from './questions/question-exchange.ts';
import { QuestionApi } from './questions/question-api.ts';
import { NodeViews } from './node-views.ts';
import { Signing } from './identity/signing.ts';
import { Timelines } from './timeline.ts';
import { isForgery, VoteChecks } from './votes/vote-checks.ts';
import type { QuestionDefinition } from '../model/question.ts';
import type { GroupChange, Predecessor } from '../model/group/changes.ts';
import { GroupStore } from './group/group-store.ts';
import { GroupRoom } from './group/group-room.ts';
import { GroupApi } from './group/group-api.ts';
import type { VoteDesk } from './votes/vote-desk.ts';
import { resumeVoteDesk, voteDeskOver } from './votes/vote-desk-over-state.ts';
import type { NodeOptions } from './synod-node.ts';
import { groupNodeApi, type LaptopGroups } from './group-node-api.ts';

/** One group's node: the laptop's options, the identity it holds, and the group's directory. */
export interface GroupNodeOptions extends Omit<NodeOptions, 'dataDir' | 'ownerKind'> {
  /** The group's own directory: its state log, catalog, votes, members, group log and network port. */
  readonly dataDir: string;
  readonly privateKey: PrivateKey;
  /** Its state log, opened (see openGroupStorage). */
  readonly opened: OpenedStorage;
  /** The laptop's groups, as this group's API tells of them. */
  readonly laptop: LaptopGroups;
}

/**
 * This laptop as a member of one group: durable Paxos state, question catalog, group membership and
 * the network of that group, wired together. It implements SynodApi, which the daemon serves over
 * HTTP and the Electron preload exposes over IPC; every input is validated here, once. SynodNode
 * holds one per group the laptop is in.
 */
export class GroupNode {
  readonly peerId: string;
  readonly #privateKey: PrivateKey;
  readonly #log: Logger;
  readonly #members: MemberRegistry;
  readonly #membership: Membership;
  readonly #sessions: MemberSessions;
  readonly #storage: NodeState | null;
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
  /** What this group's calls reach (see group-node-api.ts). */
  readonly api: SynodApi;
  readonly #groupApi: GroupApi;
  readonly #options: GroupNodeOptions;
  #group: GroupRoom | null = null;

  private constructor(
    options: GroupNodeOptions,
    privateKey: PrivateKey,
    members: MemberRegistry,
    group: GroupConfig | null,
    storage: NodeState | null,
    storageError: string | null,
  ) {
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
        this.#membership.ownRecord(this.#link.config?.displayName ?? 'me', this.#link.ownAddresses()),
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
    this.#desk =
      storage === null
        ? null
        : voteDeskOver(storage, {
            self: this.peerId,
            log: this.#log,
            checks: () => this.#requireVotes().checks,
            connectedPeers: () => this.#link.connectedPeers(),
            send: (to, message) => this.#link.send(to, message),
            rejected: (from, reason) => this.#rejected(from, reason),
            changed: (id) => this.#views.emitQuestion(id),
            close: async (id) => void (await this.#questionApi.close({ questionId: id, waitMs: 0 })),
            redeliver: (from, message) => this.#router.message(from, { type: 'paxos', message }),
          });
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
    const groupApi = new GroupApi({
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
    this.api = groupNodeApi({
      groupApi,
      questionApi: this.#questionApi,
      views: this.#views,
      link: this.#link,
      status: () => this.#status(),
      shown: (id) => storage?.catalog.shown(id) !== undefined,
      timeline: (id) => this.#timelines.of(id),
      subscribe: (listener) => this.#events.subscribe(listener),
      laptop: options.laptop,
      groupId: () => this.groupId,
    });
    this.#groupApi = groupApi;
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

  /** Starts the node of the group whose files are in options.dataDir (or of no group yet). */
  static async start(options: GroupNodeOptions): Promise<GroupNode> {
    const dir = options.dataDir;
    const log = options.log ?? silentLogger;
    const { privateKey } = options;
    const { storage: opened, storageError } = options.opened;
    const members = await MemberRegistry.load(dir);
    members.startNotingConnections();
    const group = await loadGroupConfig(dir);
    const self = peerIdFromPrivateKey(privateKey).toString();

    let node: GroupNode | null = null;
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
    const started = new GroupNode(options, privateKey, members, group, storage, storageError);
    node = started;
    if (storage !== null)
      await reopenCatalogQuestions(storage, Date.now()).catch((error: unknown) =>
        started.#onStorageFailure(error instanceof Error ? error : new Error(String(error))),
      );
    if (storage !== null && node.#desk !== null) resumeVoteDesk(storage, node.#desk);
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
  }

  /** The group log of this node's group, once it runs one (a group made without one: never). */
  get room(): GroupRoom | null {
    return this.#group;
  }

  /** Founds a successor of `predecessor` as this node's group (a node in no group yet). */
  foundSuccessor(input: CreateGroupInput, predecessor: Predecessor): Promise<NodeStatus> {
    return this.#groupApi.createGroup(input, predecessor);
  }

  /** The id of this node's group, or null while it is in none. */
  get groupId(): string | null {
    return this.#link.config?.group.id ?? null;
  }

  /** This group in the laptop's list of its groups (null while it is in none). */
  async summary(first: boolean): Promise<GroupSummary | null> {
    const config = this.#link.config;
    if (config === null) return null;
    return {
      id: config.group.id,
      name: this.#group?.store.head.name ?? config.group.name,
      displayName: config.displayName,
      first,
      self: this.#group?.admin.standing ?? 'member',
      continuedIn: this.#group?.admin.continuedIn?.groupId ?? null,
      questions: this.#storage?.catalog.newestFirst().length ?? 0,
    };
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
      addresses: this.#link.ownAddresses(),
      storageError: this.#storageError,
      rejectedMessages: this.#rejectedMessages,
      forgedSignatures: this.#sessions.forgeries,
      cutOffPeers: this.#sessions.cutOffPeers(),
      traffic: this.#link.traffic,
    };
  }

  #memberAnnouncements() {
    return this.#membership.announcements(this.#link.config?.displayName ?? 'me', this.#link.ownAddresses());
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
