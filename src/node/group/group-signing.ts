import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { randomBytes } from 'node:crypto';
import {
  approvalStatement,
  changeStatement,
  genesisId,
  genesisStatement,
  inviteUseStatement,
  type Genesis,
  type Predecessor,
  type GroupChange,
  type UnsignedChange,
} from '../../model/group/changes.ts';

export type { UnsignedChange } from '../../model/group/changes.ts';
import type { GroupVerifier } from '../../model/group/epoch.ts';
import { Signing } from '../identity/signing.ts';

/** A new group's first epoch, signed by its creator, and the signing of that group. */
export function createGenesis(
  privateKey: PrivateKey,
  name: string,
  creatorName: string,
  now: number,
  predecessor?: Predecessor,
): { genesis: Genesis; signing: Signing } {
  const fields = {
    name,
    creator: peerIdFromPrivateKey(privateKey).toString(),
    creatorName,
    createdAt: now,
    nonce: randomBytes(16).toString('hex'),
    ...(predecessor === undefined ? {} : { predecessor }),
  };
  const groupId = genesisId(fields);
  const signing = new Signing(groupId, privateKey);
  const signature = signing.sign(genesisStatement({ groupId, ...fields }));
  return { genesis: { groupId, ...fields, signature }, signing };
}

export function signChange<C extends UnsignedChange>(signing: Signing, change: C): C & { signature: string } {
  const signature = signing.sign(changeStatement({ ...change, signature: '' } as GroupChange));
  return { ...change, signature };
}

/** This member's approval of a removal request. */
export function approve(
  signing: Signing,
  request: Extract<GroupChange, { type: 'remove' }>,
  self: string,
): { by: string; signature: string } {
  return { by: self, signature: signing.sign(approvalStatement(request)) };
}

/** A new invite's key pair: its private half goes into the invite's text only. */
export async function createInviteKey(): Promise<{ privateKey: PrivateKey; key: string }> {
  const privateKey = await generateKeyPair('Ed25519');
  return { privateKey, key: peerIdFromPrivateKey(privateKey).toString() };
}

/** What a newcomer holding the invite's key signs: that this invite admits this newcomer. */
export function inviteSignature(
  groupId: string,
  inviteKey: PrivateKey,
  invite: string,
  newcomer: string,
): string {
  return new Signing(groupId, inviteKey).sign(inviteUseStatement(groupId, invite, newcomer));
}

export function groupVerifier(signing: Signing): GroupVerifier {
  return (signer, statement, signature) => signing.verify(signer, statement, signature);
}
