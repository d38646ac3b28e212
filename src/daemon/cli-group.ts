import type { HttpSynodClient } from '../api/http-client.ts';
import type { GroupSummary, GroupView, SynodApi } from '../api/types.ts';
import { forTerminal } from './terminal-text.ts';

/* The CLI's words for the laptop's groups, and for a group that keeps a group log. */

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
    ...(group.predecessor === null
      ? []
      : [
          `continues "${group.predecessor.name}" (${group.predecessor.groupId}, from its epoch ${group.predecessor.epoch})`,
        ]),
    ...(group.successor === null
      ? []
      : [
          `this laptop continues this group in "${group.successor.name}" (--group ${group.successor.groupId}): here it only keeps what it knew`,
        ]),
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

/** One of the laptop's groups, named by its id, an id prefix, or its exact name. */
export async function chooseGroup(client: HttpSynodClient, text: string): Promise<GroupSummary> {
  const groups = await client.groups();
  const exact = groups.find((g) => g.id === text);
  if (exact !== undefined) return exact;
  const byName = groups.filter((g) => g.name === text);
  const matches = byName.length > 0 ? byName : groups.filter((g) => g.id.startsWith(text.toLowerCase()));
  if (matches.length === 1) return matches[0] as GroupSummary;
  throw new Error(
    matches.length === 0
      ? `this laptop is in no group "${text}" (see "synod groups")`
      : `${matches.length} groups match "${text}": give the group id (see "synod groups")`,
  );
}

/** The laptop's groups, for a terminal: one line each, the first marked. */
export function formatGroups(groups: readonly GroupSummary[]): string {
  if (groups.length === 0) return 'in no group yet: run "synod create-group" or "synod join"\n';
  return forTerminal(
    groups
      .map(
        (g) =>
          `${g.id}  "${g.name}" as ${g.displayName}` +
          (g.self === 'member' ? '' : ` (${g.self === 'joining' ? 'joining' : g.self})`) +
          ` · ${g.questions} question${g.questions === 1 ? '' : 's'}` +
          (g.first ? ' · first (used without --group)' : '') +
          '\n',
      )
      .join(''),
  );
}
