import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { inputSchemas, parseInput } from '../api/schemas.ts';
import {
  SynodError,
  type AddPeerResult,
  type BidInput,
  type CloseInput,
  type ContinueGroupInput,
  type CreateGroupInput,
  type CreateQuestionInput,
  type GroupSummary,
  type GroupView,
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
import { isGroupInvite } from '../model/invite.ts';
import { readInvite } from './network/group-link.ts';
import type { CoreOptions } from '../paxos/index.ts';
import { nodeFs } from '../storage/fs.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import { acquireDataDirLock, type DataDirLock, type OwnerKind } from './durable/data-dir-lock.ts';
import { FILES, prepareDataDir, tightenFileModes } from './durable/data-dir.ts';
import { openGroupStorage } from './durable/node-storage.ts';
import { GroupNode } from './group-node.ts';
import type { LaptopGroups } from './group-node-api.ts';
import { createIdentity, loadIdentity, refuseLostIdentity } from './identity/identity.ts';
import type { QuestionLimits } from './questions/question-catalog.ts';

export interface NodeOptions {
  readonly dataDir: string;
  /** Multiaddrs to listen on; default all interfaces, a free TCP port (the first group's; see GROUPS_DIR). */
  readonly listen?: readonly string[];
  readonly mdns?: boolean;
  readonly mdnsIntervalMs?: number;
  /** Addresses (with /p2p/) to dial besides the remembered ones, in the first group. */
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
 * Where the laptop's groups after its first keep their files: one directory each, named at random
 * when the group is made or joined. The first group keeps the data directory's own files, where a
 * Synod of one group per laptop kept them, so that nothing moves on disk.
 */
export const GROUPS_DIR = 'groups';
const GROUP_DIR_NAME = /^[0-9a-f]{16}$/;

/**
 * This laptop in Synod: its one identity and the groups it is in, each a GroupNode with its own
 * state, catalog, group log and network (its own private-network key, so its own libp2p host). It
 * holds the data directory's lock. As SynodApi it is its first group, as before there were several;
 * `inGroup` gives any other, and creating or joining when the first is taken adds a group.
 */
export class SynodNode implements SynodApi {
  readonly peerId: string;
  readonly #options: NodeOptions;
  readonly #privateKey: PrivateKey;
  readonly #lock: DataDirLock;
  readonly #log: Logger;
  readonly #first: GroupNode;
  /** The groups after the first, by the name of their directory. */
  readonly #others: Map<string, GroupNode>;
  /** Additions run one at a time: two joins of one group must not both make a directory. */
  #adding: Promise<unknown> = Promise.resolve();
  #stopped = false;
  readonly #groups: LaptopGroups;

  private constructor(
    options: NodeOptions,
    privateKey: PrivateKey,
    lock: DataDirLock,
    first: GroupNode,
    others: Map<string, GroupNode>,
    groups: LaptopGroups,
  ) {
    this.#groups = groups;
    this.#options = options;
    this.#privateKey = privateKey;
    this.#lock = lock;
    this.#log = options.log ?? silentLogger;
    this.#first = first;
    this.#others = others;
    this.peerId = peerIdFromPrivateKey(privateKey).toString();
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
    // A node that has an identity has voted under it: its state must be there (create only when new).
    // The state log is made before the identity, so that a crash between the two cannot leave an
    // identity without its state.
    const opened = await openGroupStorage(dir, privateKey === null, log);
    privateKey ??= await createIdentity(dir);
    // The groups' APIs tell of the laptop's other groups: through the laptop, once it is made.
    let laptop: SynodNode | null = null;
    const groups: LaptopGroups = {
      groups: async () => (laptop === null ? [] : laptop.groups()),
      inGroup: (groupId) => {
        if (laptop === null) throw new SynodError('not-found', 'this node is starting');
        return laptop.inGroup(groupId);
      },
      continueGroup: (from, input) => {
        if (laptop === null) throw new SynodError('not-found', 'this node is starting');
        return laptop.#continueGroup(from, input);
      },
    };
    const first = await GroupNode.start({ ...options, dataDir: dir, privateKey, opened, laptop: groups });
    const others = new Map<string, GroupNode>();
    try {
      for (const name of await groupDirectories(dir, log)) {
        const groupDir = join(dir, GROUPS_DIR, name);
        await tightenFileModes(groupDir);
        others.set(name, await startOther(options, privateKey, groupDir, false, log, groups));
      }
    } catch (error) {
      for (const node of [first, ...others.values()]) await node.stop().catch(() => {});
      throw error;
    }
    laptop = new SynodNode(options, privateKey, lock, first, others, groups);
    return laptop;
  }

  /**
   * Every group's events, each with its group's id (groups added later too): for a shell that shows
   * them all (the desktop app's IPC). Returns the function that unsubscribes.
   */
  subscribeGroups(listener: (groupId: string, event: SynodEvent) => void): () => void {
    const entry = { listener, ends: [] as (() => void)[] };
    this.#groupListeners.add(entry);
    for (const [node] of this.#all()) entry.ends.push(this.#listen(node, listener));
    return () => {
      this.#groupListeners.delete(entry);
      for (const end of entry.ends) end();
    };
  }

  #listen(node: GroupNode, listener: (groupId: string, event: SynodEvent) => void): () => void {
    return node.api.subscribe((event) => {
      const id = node.groupId;
      if (id !== null) listener(id, event);
    });
  }

  readonly #groupListeners = new Set<{
    readonly listener: (groupId: string, event: SynodEvent) => void;
    readonly ends: (() => void)[];
  }>();

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#adding.catch(() => {});
    for (const node of [this.#first, ...this.#others.values()]) await node.stop();
    await this.#lock.release();
  }

  // ---- the laptop's groups --------------------------------------------------------------------

  /** The groups this laptop is in, is joining, or was in, its first group first. */
  async groups(): Promise<GroupSummary[]> {
    const summaries: GroupSummary[] = [];
    for (const [node, first] of this.#all()) {
      const summary = await node.summary(first);
      if (summary !== null) summaries.push(summary);
    }
    return summaries;
  }

  /** The API of one of this laptop's groups, by its id. */
  inGroup(groupId: string): SynodApi {
    const node = this.#node(groupId);
    if (node !== undefined) return node.api;
    throw new SynodError('not-found', `this laptop is in no group ${groupId} (see "synod groups")`);
  }

  *#all(): Generator<[GroupNode, boolean]> {
    yield [this.#first, true];
    for (const node of this.#others.values()) yield [node, false];
  }

  /** Creates a group: the first, or (when the first is taken) one more. */
  async createGroup(input: CreateGroupInput): Promise<NodeStatus> {
    parseInput(inputSchemas.createGroup, input);
    if (this.#first.groupId === null) return this.#first.api.createGroup(input);
    return this.#add((node) => node.api.createGroup(input));
  }

  /**
   * Joins a group with an invite: as the first, or (when the first is taken) one more. Joining a
   * successor of a group this laptop is in marks that group continued in it.
   */
  async joinGroup(input: JoinGroupInput): Promise<JoinResult> {
    const { invite: text } = parseInput(inputSchemas.joinGroup, input);
    const invite = readInvite(text);
    const groupId = invite.id;
    const predecessor = isGroupInvite(invite) ? invite.genesis.predecessor : undefined;
    if (this.#first.groupId === null) return this.#first.api.joinGroup(input);
    const result = await this.#add(async (node) => {
      for (const [other] of this.#all()) {
        if (other.groupId === groupId)
          throw new SynodError(
            'already-in-group',
            `this laptop is in the group "${(await other.api.status()).group?.name}" already`,
          );
      }
      return node.api.joinGroup(input);
    });
    const old = predecessor === undefined ? undefined : this.#node(predecessor.groupId);
    if (old !== undefined) await old.room?.continueIn({ groupId, name: invite.name });
    return result;
  }

  /** A successor of this laptop's first group (see SynodApi.continueGroup). */
  continueGroup(input?: ContinueGroupInput): Promise<NodeStatus> {
    return this.#first.api.continueGroup(input);
  }

  async #continueGroup(from: string, input: ContinueGroupInput | undefined): Promise<NodeStatus> {
    const parsed = parseInput(inputSchemas.continueGroup, input);
    const old = this.#node(from);
    if (old === undefined) throw new SynodError('not-found', `this laptop is in no group ${from}`);
    const displayName = parsed?.displayName ?? (await old.api.status()).displayName ?? 'me';
    // Checked and marked within the addition: two at once cannot both continue the same group.
    return this.#add(async (node) => {
      const room = old.room;
      if (room === null)
        throw new SynodError(
          'no-group',
          'a group without a group log cannot be continued: start a new group and invite its members',
        );
      const predecessor = room.predecessor();
      const groupName = parsed?.groupName ?? predecessor.name;
      const created = await node.foundSuccessor({ groupName, displayName }, predecessor);
      const id = created.group?.id;
      if (id !== undefined) await room.continueIn({ groupId: id, name: groupName });
      return created;
    });
  }

  #node(groupId: string): GroupNode | undefined {
    for (const [node] of this.#all()) if (node.groupId === groupId) return node;
    return undefined;
  }

  /**
   * Makes a directory for one more group, starts its node and hands it to `use` (a create or a join).
   * When that fails before the group is saved, the directory goes again: nothing in it was shown to
   * anyone. Once saved, it stays, as a group this laptop is in (or is joining).
   */
  #add<T>(use: (node: GroupNode) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#stopped) throw new SynodError('storage-refused', 'this node is stopping');
      // Named in the order groups are added (ms, then a random part), so that they list in that order.
      const name = Date.now().toString(16).padStart(12, '0').slice(-12) + randomBytes(2).toString('hex');
      const groupDir = join(this.#options.dataDir, GROUPS_DIR, name);
      await mkdir(join(this.#options.dataDir, GROUPS_DIR), { recursive: true, mode: 0o700 });
      await mkdir(groupDir, { mode: 0o700 });
      const node = await startOther(this.#options, this.#privateKey, groupDir, true, this.#log, this.#groups);
      try {
        const result = await use(node);
        this.#keep(name, node);
        return result;
      } catch (error) {
        if (node.groupId !== null) {
          this.#keep(name, node);
          throw error;
        }
        await node.stop().catch(() => {});
        await rm(groupDir, { recursive: true, force: true });
        throw error;
      }
    };
    const result = this.#adding.then(run, run);
    this.#adding = result.catch(() => {});
    return result;
  }

  #keep(name: string, node: GroupNode): void {
    this.#others.set(name, node);
    for (const entry of this.#groupListeners) entry.ends.push(this.#listen(node, entry.listener));
  }

  // ---- SynodApi: the first group ---------------------------------------------------------------

  status(): Promise<NodeStatus> {
    return this.#first.api.status();
  }

  invite(input?: { singleUse?: boolean }): Promise<{ invite: string }> {
    return this.#first.api.invite(input);
  }

  group(): Promise<GroupView> {
    return this.#first.api.group();
  }

  renameGroup(input: { name: string }): Promise<GroupView> {
    return this.#first.api.renameGroup(input);
  }

  revokeInvite(input: { invite: string }): Promise<GroupView> {
    return this.#first.api.revokeInvite(input);
  }

  leaveGroup(): Promise<GroupView> {
    return this.#first.api.leaveGroup();
  }

  requestRemoval(input: { member: string }): Promise<GroupView> {
    return this.#first.api.requestRemoval(input);
  }

  approveRemoval(input: { member: string }): Promise<GroupView> {
    return this.#first.api.approveRemoval(input);
  }

  peers(): Promise<readonly PeerView[]> {
    return this.#first.api.peers();
  }

  addPeer(input: { address: string }): Promise<AddPeerResult> {
    return this.#first.api.addPeer(input);
  }

  questions(): Promise<readonly QuestionView[]> {
    return this.#first.api.questions();
  }

  createQuestion(input: CreateQuestionInput): Promise<QuestionView> {
    return this.#first.api.createQuestion(input);
  }

  vote(input: VoteInput): Promise<QuestionView> {
    return this.#first.api.vote(input);
  }

  bid(input: BidInput): Promise<QuestionView> {
    return this.#first.api.bid(input);
  }

  close(input: CloseInput): Promise<ProposeResult> {
    return this.#first.api.close(input);
  }

  propose(input: ProposeInput): Promise<ProposeResult> {
    return this.#first.api.propose(input);
  }

  timeline(input: { questionId: string }): Promise<readonly TimelineEntry[]> {
    return this.#first.api.timeline(input);
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    return this.#first.api.subscribe(listener);
  }
}

/** Starts the node of a group after the first (its own directory; no static peers, no fixed port). */
function startOther(
  options: NodeOptions,
  privateKey: PrivateKey,
  dir: string,
  create: boolean,
  log: Logger,
  laptop: LaptopGroups,
): Promise<GroupNode> {
  const { listen } = options;
  const groupLogger = withFields(log, { groupDir: dir });
  return openGroupStorage(dir, create, groupLogger).then((opened) =>
    GroupNode.start({
      ...options,
      // The first group's addresses and peers are its own; the others take a port of their own
      // (remembered), and find their members by their invites and mDNS.
      staticPeers: [],
      ...(listen === undefined ? {} : { listen: listen.map((a) => a.replace(/\/tcp\/\d+/, '/tcp/0')) }),
      dataDir: dir,
      privateKey,
      opened,
      log: groupLogger,
      laptop,
    }),
  );
}

/**
 * The directories of the groups after the first. One without its group file is an addition that
 * never finished (a create or a join that failed, or a crash before the group was saved): nothing in
 * it was shown to anyone, and it goes.
 */
async function groupDirectories(dir: string, log: Logger): Promise<string[]> {
  const root = join(dir, GROUPS_DIR);
  if (!(await nodeFs.exists(root))) return [];
  const names: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !GROUP_DIR_NAME.test(entry.name)) continue;
    if (await nodeFs.exists(join(root, entry.name, FILES.group))) names.push(entry.name);
    else {
      log.warn('removing a group directory that was never finished', { dir: entry.name });
      await rm(join(root, entry.name), { recursive: true, force: true });
    }
  }
  return names.sort();
}

function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  return {
    debug: (message, more) => log.debug(message, { ...fields, ...more }),
    info: (message, more) => log.info(message, { ...fields, ...more }),
    warn: (message, more) => log.warn(message, { ...fields, ...more }),
    error: (message, more) => log.error(message, { ...fields, ...more }),
  };
}
