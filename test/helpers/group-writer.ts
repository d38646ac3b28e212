import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { encodeSlotValue, type Genesis, type SlotValue } from '../../src/model/group/changes.ts';
import { slotConfig, slotDecision, type Epoch } from '../../src/model/group/epoch.ts';
import type { Certificate } from '../../src/paxos/index.ts';
import {
  createGenesis,
  createInviteKey,
  inviteSignature,
  signChange,
  type UnsignedChange,
} from '../../src/node/group/group-signing.ts';
import { GroupStore } from '../../src/node/group/group-store.ts';
import type { CertifiedSlot } from '../../src/node/group/slot-checks.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import type { MemoryFs } from './memory-fs.ts';

/** Where the group log's tests keep it (on a disk in memory). */
export const DIR = '/data';

export const T0 = 1_800_000_000_000;
export const DAY = 24 * 60 * 60_000;

export interface Person {
  readonly key: PrivateKey;
  readonly id: string;
}

export async function person(): Promise<Person> {
  const key = await generateKeyPair('Ed25519');
  return { key, id: peerIdFromPrivateKey(key).toString() };
}

/**
 * A group as its members would run it: each slot's value signed by its author and certified by the
 * acceptors of the epoch it follows (`signers` overrides who signs, for the lies under test).
 */
export class Writer {
  epoch: Epoch;
  at = T0;
  readonly genesis: Genesis;
  readonly signing: Signing;
  readonly people = new Map<string, Person>();

  constructor(creator: Person, genesis: Genesis, signing: Signing, epoch: Epoch) {
    this.genesis = genesis;
    this.signing = signing;
    this.epoch = epoch;
    this.people.set(creator.id, creator);
  }

  signingOf(p: Person): Signing {
    return new Signing(this.genesis.groupId, p.key);
  }

  value(author: Person, change: UnsignedChange): SlotValue {
    this.at += 1_000;
    return { slot: this.epoch.n, at: this.at, change: signChange(this.signingOf(author), change) };
  }

  certify(value: SlotValue, signers?: readonly Person[], text = encodeSlotValue(value)): CertifiedSlot {
    const decision = slotDecision(value.slot);
    const acceptors = signers ?? slotConfig(this.epoch).acceptors.map((id) => this.people.get(id) as Person);
    const ballot = { round: 1, node: (acceptors[0] as Person).id };
    const certificate: Certificate = {
      ballot,
      accepted: acceptors.map((p) => ({
        acceptor: p.id,
        signature: this.signingOf(p).sign({ kind: 'accepted', decision, ballot, value: text }),
      })),
      promises: [],
    };
    return { value: text, certificate };
  }
}

export async function newGroup(fs: MemoryFs) {
  const alice = await person();
  const { genesis, signing } = createGenesis(alice.key, 'Chess club', 'Alice', T0);
  const store = await GroupStore.create(DIR, genesis, signing, fs);
  const writer = new Writer(alice, genesis, signing, store.head);
  return { alice, store, writer, signing };
}

/** The slots that invite and admit `newcomer` (by `inviter`), certified; the writer's epoch follows. */
export async function admit(writer: Writer, store: GroupStore, inviter: Person, newcomer: Person) {
  const { privateKey, key } = await createInviteKey();
  const invite = '0123456789abcdef'.slice(0, 8) + writer.epoch.n.toString(16).padStart(8, '0');
  const inviting = writer.value(inviter, {
    type: 'invite',
    by: inviter.id,
    epoch: writer.epoch.n,
    invite,
    key,
    expiresAt: writer.at + DAY,
    singleUse: true,
  });
  const first = writer.certify(inviting);
  let learned = await store.learn([first]);
  assert.deepEqual(learned.problems, []);
  writer.epoch = store.head;
  const joining = writer.value(newcomer, {
    type: 'join',
    by: newcomer.id,
    epoch: writer.epoch.n,
    name: 'Newcomer',
    invite,
    inviteSignature: inviteSignature(writer.genesis.groupId, privateKey, invite, newcomer.id),
  });
  const second = writer.certify(joining);
  learned = await store.learn([second]);
  assert.deepEqual(learned.problems, []);
  writer.people.set(newcomer.id, newcomer);
  writer.epoch = store.head;
  return [first, second];
}
