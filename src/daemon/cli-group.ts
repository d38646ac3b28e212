import type { GroupView, SynodApi } from '../api/types.ts';
import { forTerminal } from './terminal-text.ts';

/* The CLI's words for a group that keeps a group log. */

/** A member named by its peer id, or by its name when exactly one member of the group has it. */
export async function memberId(api: SynodApi, text: string): Promise<string> {
  const { members } = await api.group();
  if (members.some((m) => m.peerId === text)) return text;
  const named = members.filter((m) => m.name === text);
  if (named.length === 1) return (named[0] as { peerId: string }).peerId;
  throw new Error(
    named.length === 0
      ? `no member of the group is called "${text}" (see "synod group")`
      : `${named.length} members are called "${text}": give the peer id (see "synod group")`,
  );
}

/** The group log, for a terminal: the epoch, its members, open invites, and the newest changes. */
export function formatGroup(group: GroupView): string {
  if (group.epoch === null)
    return `group "${group.name}" (${group.id}) keeps no group log: its members are whoever says hello with its key (see "peers")\n`;
  const lines = [
    `group "${group.name}" (${group.id}), epoch ${group.epoch}`,
    `members (${group.members.length}):`,
    ...group.members.map(
      (m) =>
        `  ${m.name} ${m.peerId} (since epoch ${m.joinedIn}${group.deciders.includes(m.peerId) ? ', decides changes' : ''})`,
    ),
    `changes need ${Math.floor(group.deciders.length / 2) + 1} of the ${group.deciders.length} who decide them online`,
    `open invites (${group.invites.length}):`,
    ...group.invites.map(
      (i) =>
        `  ${i.id} by ${i.by.slice(-6)}, until ${new Date(i.expiresAt).toISOString()}${i.singleUse ? ', single use' : ''}`,
    ),
    ...(group.self === 'member' ? [] : [`this laptop: ${group.self}`]),
    `removals asked (${group.removals.length}):`,
    ...group.removals.map(
      (r) => `  ${r.targetName} ${r.target}: approved by ${r.approvedBy.length} of the ${r.needed} needed`,
    ),
    'history (newest first):',
    ...group.history
      .slice(0, 20)
      .map((h) => `  epoch ${h.epoch} ${new Date(h.at).toISOString()} ${h.summary}`),
  ];
  return forTerminal(`${lines.join('\n')}\n`);
}
