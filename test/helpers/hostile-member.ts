import { generateKeyPair, privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAnyInvite, isGroupInvite, type GroupInvite } from '../../src/model/invite.ts';
import { createHost } from '../../src/net/host.ts';
import { PeerLinks } from '../../src/net/links.ts';
import { PROTOCOL, type MemberAnnouncement, type WireMessage } from '../../src/net/wire.ts';
import { inviteSignature, signChange } from '../../src/node/group/group-signing.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import { VoteChecks } from '../../src/node/votes/vote-checks.ts';

/**
 * A member with the group key that lies: a libp2p host built from Synod's own modules, with its own
 * identity, that says and signs whatever a test makes it say. What it receives is recorded, and a test
 * may answer it (to play a lying acceptor).
 */
export class HostileMember {
  readonly peerId: string;
  readonly group: { readonly id: string; readonly key: string };
  readonly signing: Signing;
  readonly checks: VoteChecks;
  readonly received: { readonly from: string; readonly message: WireMessage }[] = [];
  readonly #host: Libp2p;
  readonly #links: PeerLinks;
  /** The group log's invite it joins with, in a group that keeps one (null: it only says hello). */
  readonly #invite: GroupInvite | null;
  #answer: ((from: string, message: WireMessage) => void) | null = null;

  private constructor(
    host: Libp2p,
    peerId: string,
    group: { id: string; key: string },
    signing: Signing,
    invite: GroupInvite | null,
  ) {
    this.#host = host;
    this.#invite = invite;
    this.peerId = peerId;
    this.group = group;
    this.signing = signing;
    this.checks = new VoteChecks(signing);
    this.#links = new PeerLinks(host, {
      onMessage: (from, message) => {
        this.received.push({ from, message });
        this.#answer?.(from, message);
      },
      onRejected: () => undefined,
      onConnected: () => undefined,
      onDisconnected: () => undefined,
    });
  }

  /**
   * Someone holding the group key of the group whose settings are in `dataDir` (it read an invite),
   * who never joins: in a group with a group log, an applicant; in one without, a member.
   */
  static async of(dataDir: string): Promise<HostileMember> {
    const config = JSON.parse(await readFile(join(dataDir, 'group.json'), 'utf8')) as {
      group: { id: string; key: string };
    };
    return HostileMember.#start(config.group, null);
  }

  /**
   * A member who was given `inviteText` and used it as a real newcomer does: in a group with a group
   * log, each connect also asks the member it reaches to make its join (signed with the invite's key),
   * so it becomes a member of the next epoch.
   */
  static async invited(inviteText: string): Promise<HostileMember> {
    const invite = decodeAnyInvite(inviteText);
    return HostileMember.#start({ id: invite.id, key: invite.key }, isGroupInvite(invite) ? invite : null);
  }

  static async #start(
    group: { id: string; key: string },
    invite: GroupInvite | null,
  ): Promise<HostileMember> {
    const privateKey = await generateKeyPair('Ed25519');
    const host = await createHost({ privateKey, group, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
    const member = new HostileMember(
      host,
      peerIdFromPrivateKey(privateKey).toString(),
      group,
      new Signing(group.id, privateKey),
      invite,
    );
    await member.#links.start();
    await host.start();
    return member;
  }

  /** Connects to a daemon and introduces itself as `name`. */
  async connect(address: string, name = 'Mallory'): Promise<string> {
    const connection = await this.#host.dial(multiaddr(address));
    const peer = connection.remotePeer.toString();
    this.send(peer, { type: 'hello', group: this.group.id, member: this.record(name) });
    if (this.#invite !== null)
      this.send(peer, { type: 'group-join', change: this.#join(this.#invite, name) });
    return peer;
  }

  /** Its join of the group log, signed by it and, over its identity, by the invite's key. */
  #join(invite: GroupInvite, name: string) {
    const inviteKey = privateKeyFromProtobuf(Buffer.from(invite.invite.secret, 'base64url'));
    return signChange(this.signing, {
      type: 'join',
      by: this.peerId,
      epoch: invite.invite.epoch,
      name,
      invite: invite.invite.id,
      inviteSignature: inviteSignature(invite.id, inviteKey, invite.invite.id, this.peerId),
    });
  }

  /** Its own member record, signed like a real member's (it has no address anyone could dial). */
  record(name: string, seq = 1): MemberAnnouncement {
    const fields = { peerId: this.peerId, name, addresses: [], seq };
    return { ...fields, signature: this.signing.sign({ kind: 'member', ...fields }) };
  }

  /** Connects with the group key, and says nothing. */
  async connectSilently(address: string): Promise<string> {
    const connection = await this.#host.dial(multiaddr(address));
    return connection.remotePeer.toString();
  }

  isConnected(peer: string): boolean {
    return this.#links.isConnected(peer);
  }

  /** Opens `count` streams of Synod's protocol at once; resolves to how many the peer let open. */
  async openStreams(peer: string, count: number): Promise<{ opened: number; stillOpen: () => number }> {
    const results = await Promise.allSettled(
      Array.from({ length: count }, () =>
        this.#host.dialProtocol(peerIdFromString(peer), PROTOCOL, { signal: AbortSignal.timeout(5_000) }),
      ),
    );
    const streams = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    return { opened: streams.length, stillOpen: () => streams.filter((s) => s.status === 'open').length };
  }

  send(peer: string, message: WireMessage): void {
    this.#links.send(peer, message);
  }

  /** Answers every message it receives from now on with what `answer` says. */
  answer(answer: (from: string, message: WireMessage) => void): void {
    this.#answer = answer;
  }

  async stop(): Promise<void> {
    await this.#host.stop();
  }
}
