import type { PrivateKey } from '@libp2p/interface';
import { randomBytes } from 'node:crypto';
import { inputSchemas, parseInput } from '../../api/schemas.ts';
import {
  SynodError,
  type AddPeerResult,
  type CreateGroupInput,
  type JoinGroupInput,
  type NamedMember,
} from '../../api/types.ts';
import {
  decodeAnyInvite,
  encodeInvite,
  InvalidInviteError,
  inviteAddresses,
  type GroupInvite,
  type Invite,
} from '../../model/invite.ts';
import type { WireMessage } from '../../net/wire.ts';
import { StorageWriteError } from '../../storage/index.ts';
import type { Logger } from '../../util/logger.ts';
import { FILES } from '../durable/data-dir.ts';
import { saveGroupConfig, type GroupConfig } from './group-config.ts';
import type { MemberRegistry } from '../members/members.ts';
import { isDialable } from '../members/membership.ts';
import { describeDialError, NodeNetwork, peerOf, type DialRecord } from './node-network.ts';
import { rememberedPort, rememberPort } from './remembered-port.ts';

/** How long a join waits for a member to answer, unless told. */
const JOIN_WAIT_MS = 8_000;
/** How long an added member has to say its hello once connected. */
const ADD_PEER_GREETING_MS = 3_000;
/** Addresses given by hand that group.json keeps (its reader refuses more than 64). */
const MAX_STATIC_PEERS = 32;

export interface GroupLinkOptions {
  readonly dataDir: string;
  readonly privateKey: PrivateKey;
  readonly self: string;
  readonly log: Logger;
  readonly members: MemberRegistry;
  /** Multiaddrs to listen on; default all interfaces, a free TCP port. */
  readonly listen?: readonly string[];
  readonly mdns?: boolean;
  readonly mdnsIntervalMs?: number;
  /** Addresses to dial for this run only, besides the remembered ones. */
  readonly extraPeers?: readonly string[];
}

/** What the rest of the node does with the link's traffic and its changes. */
export interface GroupLinkHandlers {
  /** Peers heard of but not met yet, with their addresses (the membership's hints). */
  hints(): Iterable<{ readonly peerId: string; readonly addresses: readonly string[] }>;
  /** The connected peers that said a valid hello (the member sessions). */
  greeted(): readonly string[];
  received(from: string, message: WireMessage, bytes: number): void;
  connected(peer: string): void;
  disconnected(peer: string): void;
  rejected(from: string, reason: string): void;
  /** This node is joining `config`'s group: its keys sign and check from now (before any hello). */
  useKeys(config: GroupConfig): void;
  /** This node is in the group and on its network. */
  joined(): void;
  /** A member's details changed (a dial tried by hand). */
  peersChanged(): void;
  nameOf(peer: string): string;
}

/**
 * This node's place in its group: the group it belongs to (group.json), creating or joining one,
 * the invite, members added by address, and the network those lead to, with its traffic counts.
 */
export class GroupLink {
  readonly #options: GroupLinkOptions;
  readonly #handlers: GroupLinkHandlers;
  #config: GroupConfig | null;
  #network: NodeNetwork | null = null;
  #sent = 0;
  #received = 0;

  constructor(options: GroupLinkOptions, handlers: GroupLinkHandlers, config: GroupConfig | null) {
    this.#options = options;
    this.#handlers = handlers;
    this.#config = config;
  }

  get config(): GroupConfig | null {
    return this.#config;
  }

  get traffic(): { readonly sent: number; readonly received: number } {
    return { sent: this.#sent, received: this.#received };
  }

  /** Connects to the group this node is in already (at start). */
  async start(): Promise<void> {
    if (this.#config !== null) await this.#startNetwork(this.#config);
  }

  async stop(): Promise<void> {
    const network = this.#network;
    this.#network = null;
    await network?.stop();
  }

  /** Creates a group (`id`: the group log's, named by its genesis; absent: a random one). */
  async create(input: CreateGroupInput, id?: string): Promise<void> {
    const { groupName, displayName } = parseInput(inputSchemas.createGroup, input);
    this.requireNoGroup();
    const group = {
      id: id ?? randomBytes(8).toString('hex'),
      name: groupName,
      key: randomBytes(32).toString('hex'),
    };
    await this.#joinAs({ group, displayName, staticPeers: [] });
  }

  /** Joins, then waits for a member to answer: whom it reached, or why nobody. */
  async join(input: JoinGroupInput): Promise<{ reached: NamedMember[]; problem: string | null }> {
    const { invite: text, displayName, waitMs } = parseInput(inputSchemas.joinGroup, input);
    this.requireNoGroup();
    const invite = readInvite(text);
    const { id, name, key } = invite;
    const addresses = invite.addresses.filter(isDialable);
    await this.#joinAs({ group: { id, name, key }, displayName, staticPeers: addresses });
    const wait = waitMs ?? JOIN_WAIT_MS;
    const reached = await this.#waitForMembers(wait);
    if (reached.length > 0) {
      return { reached: reached.map((p) => ({ peerId: p, name: this.#handlers.nameOf(p) })), problem: null };
    }
    return {
      reached: [],
      problem: this.nobodyReached(name, addresses, wait, 'is in the group and keeps trying'),
    };
  }

  /**
   * Why a join reached nobody: what was tried, the dial errors met, and what to do. `state` says
   * where the laptop stands meanwhile ("is in the group and keeps trying").
   */
  nobodyReached(name: string, invited: readonly string[], waitMs: number, state: string): string {
    const addresses = invited.filter(isDialable);
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
    return (
      `reached no member of "${name}" within ${Math.round(waitMs / 1000)} s: ${tried}. This laptop ${state}; ` +
      'ask a member for a new invite (it carries their current addresses), or add a member by address'
    );
  }

  /** The invite: the group's secret, and where to find this laptop and a few members online now. */
  invite(): string {
    return encodeInvite(this.inviteBase());
  }

  /** What every invite carries: the group's secret and where to find its members. */
  inviteBase(): Invite {
    const config = this.requireGroup();
    const online = this.connectedPeers().flatMap((p) => this.#options.members.get(p) ?? []);
    return { ...config.group, addresses: inviteAddresses(this.ownAddresses(), online) };
  }

  /** Connects to a member by address; remembers the address only when a member answers there. */
  async addPeer(input: { address: string }): Promise<AddPeerResult> {
    const { address } = parseInput(inputSchemas.addPeer, input);
    const config = this.requireGroup();
    const peer = isDialable(address) ? peerOf(address) : null;
    if (peer === null) {
      throw new SynodError(
        'invalid-input',
        `"${address}" is not a full address: it looks like /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW… (the other laptop shows it in its member details, or in "synod status")`,
      );
    }
    if (peer === this.#options.self)
      throw new SynodError('invalid-input', "that is this laptop's own address");
    const network = this.#network;
    if (network === null) throw new SynodError('no-group', 'this node is not connected to its group yet');
    try {
      await network.dialAddress(address);
    } catch (error) {
      this.#handlers.peersChanged(); // the member's details show the failed attempt
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
    if (!config.staticPeers.includes(address)) {
      // The newest addresses are kept: the oldest given by hand are the likeliest to be out of date.
      const staticPeers = [...config.staticPeers, address].slice(-MAX_STATIC_PEERS);
      const updated = { ...config, staticPeers };
      await this.#save(updated);
      this.#config = updated;
    }
    this.#handlers.peersChanged(); // the member's details show the attempt that connected
    return { peerId: peer, name: this.#handlers.nameOf(peer) };
  }

  /** The peers connected now that said a valid hello: the members messages go to. */
  connectedPeers(): string[] {
    const network = this.#network;
    return network === null ? [] : this.#handlers.greeted().filter((peer) => network.isConnected(peer));
  }

  isConnected(peer: string): boolean {
    return this.#network?.isConnected(peer) ?? false;
  }

  send(peer: string, message: WireMessage): void {
    if (this.#network === null) return;
    this.#sent++;
    this.#network.send(peer, message);
  }

  ownAddresses(): string[] {
    return this.#network?.ownAddresses() ?? [];
  }

  lastDial(peer: string): DialRecord | null {
    return this.#network?.lastDial(peer) ?? null;
  }

  redialSoon(peer: string): void {
    this.#network?.redialSoon(peer);
  }

  hangUp(peer: string): void {
    this.#network?.hangUp(peer);
  }

  requireGroup(): GroupConfig {
    if (this.#config === null) {
      throw new SynodError(
        'no-group',
        'this node is in no group yet: create one, or join one with an invite',
      );
    }
    return this.#config;
  }

  requireNoGroup(): void {
    if (this.#config !== null) {
      throw new SynodError(
        'already-in-group',
        `this node is already in the group "${this.#config.group.name}"`,
      );
    }
  }

  /** Waits until a member (or `only` that one) has said its hello here; the members that have. */
  async #waitForMembers(timeoutMs: number, only?: string): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const greeted = this.connectedPeers().filter((p) => only === undefined || p === only);
      if (greeted.length > 0 || Date.now() >= deadline) return greeted;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** group.json is not acceptor state: a failed write is refused with its reason, and voting goes on. */
  async #save(config: GroupConfig): Promise<void> {
    try {
      await saveGroupConfig(this.#options.dataDir, config);
    } catch (error) {
      if (error instanceof StorageWriteError) throw new SynodError('storage-refused', error.message);
      throw error;
    }
  }

  async #joinAs(config: GroupConfig): Promise<void> {
    await this.#save(config);
    this.#config = config;
    this.#handlers.useKeys(config);
    await this.#startNetwork(config);
    this.#handlers.joined();
  }

  /**
   * Starts the network on the TCP port this data directory used before (a listen address with port 0
   * gets it), so that invites and the addresses other members keep stay true across restarts. A port
   * another program took meanwhile is given up for a new one, which is kept from then on.
   */
  async #startNetwork(config: GroupConfig): Promise<void> {
    const { dataDir, log } = this.#options;
    const listen = this.#options.listen ?? ['/ip4/0.0.0.0/tcp/0'];
    const remembered = await rememberedPort(dataDir, FILES.networkPort);
    const onRemembered = listen.map((a) =>
      remembered === null ? a : a.replace(/\/tcp\/0$/, `/tcp/${remembered}`),
    );
    try {
      this.#network = await this.#startNetworkOn(config, onRemembered);
    } catch (error) {
      if (onRemembered.every((a, i) => a === listen[i])) throw error;
      log.warn('the network port this node used before is taken: its addresses change', {
        port: remembered,
        error: String(error),
      });
      this.#network = await this.#startNetworkOn(config, listen);
    }
    const port = tcpPort(this.#network.ownAddresses()[0]);
    if (port !== null && port !== remembered && listen.some((a) => a.endsWith('/tcp/0'))) {
      await rememberPort(dataDir, FILES.networkPort, port, 'the network port').catch((error: unknown) =>
        log.warn('could not remember the network port: the next start may choose another', {
          error: String(error),
        }),
      );
    }
  }

  #startNetworkOn(config: GroupConfig, listen: readonly string[]): Promise<NodeNetwork> {
    const options = this.#options;
    return NodeNetwork.start(
      {
        privateKey: options.privateKey,
        self: options.self,
        group: config.group,
        listen,
        mdns: options.mdns ?? true,
        ...(options.mdnsIntervalMs === undefined ? {} : { mdnsIntervalMs: options.mdnsIntervalMs }),
        staticPeers: () => [...(this.#config?.staticPeers ?? []), ...(options.extraPeers ?? [])],
        members: options.members,
        hints: () => this.#handlers.hints(),
        log: options.log,
      },
      {
        onMessage: (from, message, bytes) => {
          this.#received++;
          this.#handlers.received(from, message, bytes);
        },
        onRejected: (from, reason) => this.#handlers.rejected(from, reason),
        onConnected: (peer) => {
          if (this.#config === null) return;
          this.#network?.redialSoon(peer);
          // Nothing is shared with the peer until it says a valid hello (see the member sessions).
          this.#handlers.connected(peer);
        },
        onDisconnected: (peer) => {
          if (this.#network?.isConnected(peer)) return;
          this.#handlers.disconnected(peer);
        },
      },
    );
  }
}

/** The TCP port of a multiaddr such as /ip4/127.0.0.1/tcp/4001/p2p/…, or null. */
function tcpPort(address: string | undefined): number | null {
  const match = /\/tcp\/(\d+)/.exec(address ?? '');
  return match === null ? null : Number(match[1]);
}

/** An invite as text from the user: decoded, or refused as invalid input with what is wrong with it. */
export function readInvite(text: string): Invite | GroupInvite {
  try {
    return decodeAnyInvite(text);
  } catch (error) {
    if (error instanceof InvalidInviteError) throw new SynodError('invalid-input', error.message);
    throw error;
  }
}
