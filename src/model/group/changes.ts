import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LIMITS } from '../limits.ts';
import { peerIdSchema, typedText } from '../question.ts';
import { signatureSchema } from '../vote-schemas.ts';

/*
 * What the group log is made of: the group's first epoch (its genesis, signed by its creator) and the
 * changes that Paxos chooses, one per slot. Every change is signed by the member it names (a join by
 * the newcomer and by the invite it uses), so that whoever proposes it cannot make it up; the value
 * of slot n says which epoch it follows, so that it cannot be replayed in another slot.
 */

/** An invite's id: 8 random bytes, hex. */
export const inviteIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'not an invite id');
/**
 * An invite's public key, written as the peer id of an Ed25519 key: the invite is a key pair of its
 * own, whose private half only the invite's text carries, so its signature is checked like a member's.
 */
export const inviteKeySchema = peerIdSchema;
const timeSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const epochNumberSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const nameSchema = typedText('the name', LIMITS.displayNameChars);
const groupNameSchema = typedText('the group name', LIMITS.groupNameChars);

/** The longest an invite may stay valid; the default is a day. */
export const MAX_INVITE_MS = 30 * 24 * 60 * 60_000;
export const DEFAULT_INVITE_MS = 24 * 60 * 60_000;

/**
 * The group a successor group continues: one whose laptops are gone for good (a majority of its
 * deciders), so that no safe change of it is possible. Named in the successor's genesis, and so in
 * its id: who holds an invite of the successor knows where it came from, and nobody can change it.
 */
export const predecessorSchema = z.object({
  groupId: z.string().regex(/^[0-9a-f]{16}$/),
  name: groupNameSchema,
  /** The predecessor's newest epoch its founder held. */
  epoch: epochNumberSchema,
});
export type Predecessor = z.infer<typeof predecessorSchema>;

export const genesisSchema = z.object({
  /** SHA-256 of the other fields (see genesisId): the group id names its first epoch. */
  groupId: z.string().regex(/^[0-9a-f]{16}$/),
  name: groupNameSchema,
  creator: peerIdSchema,
  creatorName: nameSchema,
  createdAt: timeSchema,
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  /** A successor group's: the group it continues (absent in any other group). */
  predecessor: predecessorSchema.optional(),
  signature: signatureSchema,
});
export type Genesis = z.infer<typeof genesisSchema>;

/** The group id of a genesis: whoever holds an invite (which names the id) can check the genesis. */
export function genesisId(g: Omit<Genesis, 'groupId' | 'signature'>): string {
  return createHash('sha256')
    .update(JSON.stringify(['synod-genesis/1', ...genesisFields(g)]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * What a genesis's id and its signature cover: every field but those two. A predecessor adds its
 * fields; a genesis without one has the id and statement it always had.
 */
function genesisFields(g: Omit<Genesis, 'groupId' | 'signature'>): (string | number)[] {
  const p = g.predecessor;
  return [
    g.name,
    g.creator,
    g.creatorName,
    g.createdAt,
    g.nonce,
    ...(p === undefined ? [] : ['predecessor', p.groupId, p.name, p.epoch]),
  ];
}

/** A member's approval of a removal request. */
export const approvalSchema = z.object({ by: peerIdSchema, signature: signatureSchema });

/**
 * The changes an epoch can make. `epoch` is the epoch its author saw when signing it: a change is
 * valid only in a slot at or after it (and a few epochs at most after it), so that an old signed
 * change (a leave before a rejoin, a rename since replaced) cannot be played again later.
 */
const changeFields = { by: peerIdSchema, epoch: epochNumberSchema, signature: signatureSchema };
export const groupChangeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rename'), name: groupNameSchema, ...changeFields }),
  z.object({ type: z.literal('leave'), ...changeFields }),
  z.object({
    type: z.literal('invite'),
    invite: inviteIdSchema,
    key: inviteKeySchema,
    expiresAt: timeSchema,
    singleUse: z.boolean(),
    ...changeFields,
  }),
  z.object({ type: z.literal('revoke'), invite: inviteIdSchema, ...changeFields }),
  z.object({
    type: z.literal('join'),
    /** The newcomer's name as it gave it. */
    name: nameSchema,
    invite: inviteIdSchema,
    /** The invite key's signature of (group, invite, newcomer): only a holder of the invite makes one. */
    inviteSignature: signatureSchema,
    ...changeFields,
  }),
  z.object({
    type: z.literal('remove'),
    target: peerIdSchema,
    /** The other members who approve (the requester, `by`, approves by asking). */
    approvals: z.array(approvalSchema).max(LIMITS.maxVoters),
    ...changeFields,
  }),
]);
export type GroupChange = z.infer<typeof groupChangeSchema>;
export type GroupChangeType = GroupChange['type'];

/** A change as its author writes it, before signing. */
export type UnsignedChange = GroupChange extends infer C
  ? C extends GroupChange
    ? Omit<C, 'signature'>
    : never
  : never;

/** The value of one slot of the group log: the change, the epoch it follows, and when (proposer's clock). */
export const slotValueSchema = z.object({
  slot: epochNumberSchema,
  at: timeSchema,
  change: groupChangeSchema,
});
export type SlotValue = z.infer<typeof slotValueSchema>;

const PREFIX = 'group1:';

export function encodeSlotValue(value: SlotValue): string {
  return PREFIX + JSON.stringify(value);
}

/** A slot value from the wire or the disk, or null when it is not one (never throws). */
export function decodeSlotValue(text: string): SlotValue | null {
  if (!text.startsWith(PREFIX) || text.length > LIMITS.messageBytes) return null;
  try {
    const parsed = slotValueSchema.safeParse(JSON.parse(text.slice(PREFIX.length)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * What each signature in the group log covers, as a list of fields (the node's Signing prefixes the
 * protocol and the group id). The signature of a change covers every field but itself.
 */
export type GroupStatement =
  | { readonly kind: 'group'; readonly fields: readonly unknown[] }
  | { readonly kind: 'invite-use'; readonly fields: readonly unknown[] };

export function changeStatement(change: GroupChange): GroupStatement {
  // Every field but the signature; a removal's approvals are signed by their members over the request.
  const fields = Object.entries(change)
    .filter(([key]) => key !== 'signature' && !(change.type === 'remove' && key === 'approvals'))
    .sort(byKey);
  return { kind: 'group', fields: ['change', ...fields.flat()] };
}

export function genesisStatement(g: Omit<Genesis, 'signature'>): GroupStatement {
  return {
    kind: 'group',
    fields: ['genesis', g.groupId, ...genesisFields(g)],
  };
}

/** What an approver signs: this very request (its requester's signature names it). */
export function approvalStatement(change: Extract<GroupChange, { type: 'remove' }>): GroupStatement {
  return {
    kind: 'group',
    fields: ['approve-removal', change.target, change.by, change.epoch, change.signature],
  };
}

/** What the invite key signs for a newcomer: the group, the invite and the newcomer's peer id. */
export function inviteUseStatement(groupId: string, invite: string, newcomer: string): GroupStatement {
  return { kind: 'invite-use', fields: [groupId, invite, newcomer] };
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
