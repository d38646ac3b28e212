import { z } from 'zod';
import { inviteOfLink } from './invite-link.ts';
import { LIMITS } from './limits.ts';
import { typedText } from './question.ts';
import { genesisId, genesisSchema, inviteIdSchema, type Genesis } from './group/changes.ts';

/**
 * What a new member needs: the group's id, name and secret (the pre-shared key that lets it connect
 * at all), and where to find the inviting member when multicast discovery is blocked.
 */
export interface GroupSecret {
  readonly id: string;
  readonly name: string;
  /** 32 bytes, hex: the libp2p private-network key. */
  readonly key: string;
}

export interface Invite extends GroupSecret {
  /** Multiaddrs of the inviting member, with its /p2p/ peer id. */
  readonly addresses: readonly string[];
}

const PREFIX = 'synod1:';
/** Addresses an invite carries at most (the decoder refuses more). */
export const MAX_INVITE_ADDRESSES = 16;

/**
 * Where a newcomer can find the group: the inviting laptop's addresses first, then a few of each
 * member online now, so that an invite still works when the inviter's laptop is away.
 */
export function inviteAddresses(
  own: readonly string[],
  online: readonly { readonly addresses: readonly string[] }[],
): string[] {
  const chosen = own.slice(0, 6);
  for (const member of online) chosen.push(...member.addresses.slice(0, 3));
  return [...new Set(chosen)].slice(0, MAX_INVITE_ADDRESSES);
}

const inviteSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  name: typedText('the group name', LIMITS.groupNameChars),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  addresses: z.array(z.string().max(300)).max(MAX_INVITE_ADDRESSES),
});

export function encodeInvite(invite: Invite): string {
  const json = JSON.stringify({
    id: invite.id,
    name: invite.name,
    key: invite.key,
    addresses: invite.addresses,
  });
  return PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

export class InvalidInviteError extends Error {
  override name = 'InvalidInviteError';
}

export function decodeInvite(text: string): Invite {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) {
    throw new InvalidInviteError(
      `an invite starts with "${PREFIX}"; ask the inviting member to copy it again`,
    );
  }
  return readInvite(trimmed.slice(PREFIX.length), inviteSchema);
}

/** An invite's text after its prefix, read with `schema`, or an error that says it is damaged. */
function readInvite<T>(body: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInviteError('the invite is damaged (it is not readable); ask for it again');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new InvalidInviteError(`the invite is damaged (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

/**
 * An invite of a group that keeps a group log: besides what any invite carries, the invite's own
 * entry in the log (its id, the epoch that made it, and the private half of its key, with which the
 * newcomer signs that this invite admits it) and the group's genesis, which the group id names (so a
 * newcomer can check every epoch it is handed from the group's first on).
 */
export interface GroupInvite extends Invite {
  readonly invite: { readonly id: string; readonly epoch: number; readonly secret: string };
  readonly genesis: Genesis;
}

const GROUP_PREFIX = 'synod2:';

const groupInviteSchema = inviteSchema.extend({
  invite: z.object({
    id: inviteIdSchema,
    epoch: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    /** The invite key's Ed25519 private key (libp2p's protobuf encoding), base64url. */
    secret: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/),
  }),
  genesis: genesisSchema,
});

export function encodeGroupInvite(invite: GroupInvite): string {
  const json = JSON.stringify({
    id: invite.id,
    name: invite.name,
    key: invite.key,
    addresses: invite.addresses,
    invite: invite.invite,
    genesis: invite.genesis,
  });
  return GROUP_PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

/**
 * An invite of either kind. A group invite's genesis must be the one its group id names (its
 * signature is checked where the keys are: src/node/group).
 */
export function decodeAnyInvite(text: string): Invite | GroupInvite {
  const trimmed = inviteOfLink(text.trim());
  if (trimmed.startsWith(PREFIX)) return decodeInvite(trimmed);
  if (!trimmed.startsWith(GROUP_PREFIX)) {
    throw new InvalidInviteError(
      `an invite starts with "${GROUP_PREFIX}"; ask the inviting member to copy it again`,
    );
  }
  const invite = readInvite(trimmed.slice(GROUP_PREFIX.length), groupInviteSchema);
  const { genesis, id } = invite;
  if (genesis.groupId !== id || genesisId(genesis) !== id)
    throw new InvalidInviteError("the invite is damaged (its group's first epoch is not the group's)");
  return invite;
}

export function isGroupInvite(invite: Invite | GroupInvite): invite is GroupInvite {
  return 'genesis' in invite;
}
