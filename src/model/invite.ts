import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { typedText } from './question.ts';

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
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(trimmed.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInviteError('the invite is damaged (it is not readable); ask for it again');
  }
  const parsed = inviteSchema.safeParse(json);
  if (!parsed.success)
    throw new InvalidInviteError(`the invite is damaged (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}
