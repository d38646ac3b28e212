import { useState, type FormEvent, type ReactNode } from 'react';
import { LIMITS } from '../../../src/model/limits.ts';
import type { GroupView, PeerView, SynodApi } from '../../../src/api/types.ts';
import { formatTime, nameTags } from '../format.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';
import { GroupInvites } from './GroupInvites.tsx';
import { GroupHistory } from './GroupHistory.tsx';
import { ContinueGroup, Lineage } from './GroupSuccession.tsx';

/**
 * The group itself, as its group log has it: its name (renamed through the log), its members with
 * the removals asked and who approves them, its open invites, the history of its epochs, and leaving.
 * Every change here is made by the group (a Paxos slot of its log) before the page shows it.
 */
export function GroupPage({
  api,
  group,
  peers,
  self,
  onShow,
  has,
}: {
  readonly api: SynodApi;
  readonly group: GroupView;
  readonly peers: readonly PeerView[];
  readonly self: string;
  /** Shows another of the laptop's groups (a successor just started). */
  readonly onShow: (groupId: string) => void;
  /** Whether this laptop holds a group (to offer showing the one this one continues). */
  readonly has: (groupId: string) => boolean;
}) {
  if (group.epoch === null) {
    return (
      <section aria-labelledby="group-heading" className="card">
        <h2 id="group-heading">{group.name}</h2>
        <p>
          This group keeps no group log (it was made without one): anyone holding its invite takes part,
          nobody can be removed, and it cannot be renamed. To have these, start a new group and invite the
          members again.
        </p>
      </section>
    );
  }
  const nameOf = (peerId: string) => {
    const current = group.members.find((m) => m.peerId === peerId);
    if (current !== undefined) return current.name;
    const former = group.former.findLast((f) => f.peerId === peerId);
    return former === undefined ? 'a former member' : `${former.name} (${former.how})`;
  };
  const member = group.self === 'member' && group.successor === null;
  return (
    <>
      <Lineage part="predecessor" group={group} has={has} onShow={onShow} />
      <GroupName api={api} group={group} member={member}>
        {member && (
          <Deciders group={group} peers={peers} self={self} nameOf={nameOf}>
            <ContinueGroup api={api} group={group} onStarted={onShow} />
          </Deciders>
        )}
      </GroupName>
      <Members api={api} group={group} peers={peers} self={self} member={member} nameOf={nameOf} />
      {member && <GroupInvites api={api} group={group} nameOf={nameOf} />}
      <GroupHistory group={group} />
      {member && <Leave api={api} group={group} />}
    </>
  );
}

/**
 * Who makes the group's changes, and whether enough of them are online now: without a majority of
 * them, no join, rename or removal can be made (the page says so, rather than letting one hang).
 */
function Deciders({
  group,
  peers,
  self,
  nameOf,
  children,
}: {
  readonly group: GroupView;
  readonly peers: readonly PeerView[];
  readonly self: string;
  readonly nameOf: (peerId: string) => string;
  /** The way out, shown while too few of them are online for any change. */
  readonly children: ReactNode;
}) {
  const online = new Set([self, ...peers.filter((p) => p.online).map((p) => p.peerId)]);
  const needed = Math.floor(group.deciders.length / 2) + 1;
  const here = group.deciders.filter((d) => online.has(d)).length;
  const lastSeen = (peerId: string) => {
    const at = peers.find((p) => p.peerId === peerId)?.lastSeen ?? null;
    return at === null ? 'never seen by this laptop' : `last seen ${formatTime(at)}`;
  };
  const away = group.deciders.filter((d) => !online.has(d)).map((d) => `${nameOf(d)}, ${lastSeen(d)}`);
  return (
    <>
      <p className={here >= needed ? 'muted small' : 'warning'} role="status" data-testid="deciders">
        Changes to the group need {needed} of these {group.deciders.length} members online:{' '}
        {group.deciders.map(nameOf).join(', ')}. Online now: {here}.
        {here < needed &&
          ` No join, rename or removal can be made until ${needed - here} more of them ${needed - here === 1 ? 'is' : 'are'} back (away: ${away.join('; ')}). If they are gone for good, no safe change of this group is possible.`}
      </p>
      {here < needed && children}
    </>
  );
}

function GroupName({
  api,
  group,
  member,
  children,
}: {
  readonly api: SynodApi;
  readonly group: GroupView;
  readonly member: boolean;
  readonly children: ReactNode;
}) {
  const [name, setName] = useState('');
  const rename = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await rename.run(() => api.renameGroup({ name }))) setName('');
  };
  return (
    <section aria-labelledby="group-heading" className="card">
      <h2 id="group-heading" dir="auto">
        {group.name}
      </h2>
      <p className="muted small">
        Epoch {group.epoch}: the group has made {group.epoch} change{group.epoch === 1 ? '' : 's'} since it
        was founded, each agreed by a majority of its members.
      </p>
      {children}
      {member && (
        <form onSubmit={(e) => void submit(e)} className="inline-form">
          <label className="field">
            <span>New name for the group</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={LIMITS.groupNameChars} />
          </label>
          <button type="submit" disabled={rename.busy || name.trim() === ''}>
            {rename.busy ? 'Renaming… (the group decides)' : 'Rename'}
          </button>
          <ErrorText error={rename.error} />
        </form>
      )}
    </section>
  );
}

function Members({
  api,
  group,
  peers,
  self,
  member,
  nameOf,
}: {
  readonly api: SynodApi;
  readonly group: GroupView;
  readonly peers: readonly PeerView[];
  readonly self: string;
  readonly member: boolean;
  readonly nameOf: (peerId: string) => string;
}) {
  const action = useAction();
  const [asking, setAsking] = useState<string | null>(null);
  const tags = nameTags(group.members);
  const online = new Set(peers.filter((p) => p.online).map((p) => p.peerId));
  const removalOf = (peerId: string) => group.removals.find((r) => r.target === peerId);
  const others = group.members.length - 1;
  return (
    <section aria-labelledby="group-members-heading" className="card">
      <h2 id="group-members-heading">Members of the group ({group.members.length})</h2>
      <ul className="group-members">
        {group.members.map((m) => {
          const removal = removalOf(m.peerId);
          const label = `${m.name}${tags.get(m.peerId) === undefined ? '' : ` (${tags.get(m.peerId)})`}`;
          return (
            <li key={m.peerId} data-testid="group-member">
              <span className="name" dir="auto">
                {m.name}
              </span>
              {tags.get(m.peerId) !== undefined && <span className="tag">{tags.get(m.peerId)}</span>}
              <span className="muted small">
                {m.peerId === self ? 'you' : online.has(m.peerId) ? 'online' : 'offline'} ·{' '}
                {m.joinedIn === 0 ? 'founded the group' : `joined in epoch ${m.joinedIn}`}
              </span>
              {removal !== undefined && (
                <p className="warning small" data-testid="removal">
                  {nameOf(removal.by)} asked to remove {label}. Approved by{' '}
                  {removal.approvedBy.map(nameOf).join(', ')}: {removal.approvedBy.length} of the{' '}
                  {removal.needed} needed (a majority of the {others} other members).{' '}
                  {member && m.peerId !== self && !removal.approvedBy.includes(self) && (
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() => void action.run(() => api.approveRemoval({ member: m.peerId }))}
                    >
                      Approve removing {label}
                    </button>
                  )}
                </p>
              )}
              {member && m.peerId !== self && removal === undefined && asking !== m.peerId && (
                <button type="button" className="ghost" onClick={() => setAsking(m.peerId)}>
                  Remove {label}…
                </button>
              )}
              {asking === m.peerId && (
                <div className="warning" role="alertdialog" aria-labelledby={`remove-${m.peerId}`}>
                  <p id={`remove-${m.peerId}`}>
                    Ask the group to remove {label}? They are removed once a majority of the other members
                    approve ({Math.floor(others / 2) + 1} of {others}, you included); then their laptop is
                    refused and learns nothing asked afterwards.
                  </p>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      void action
                        .run(() => api.requestRemoval({ member: m.peerId }))
                        .then((done) => done && setAsking(null))
                    }
                  >
                    Ask to remove {label}
                  </button>{' '}
                  <button type="button" className="ghost" onClick={() => setAsking(null)}>
                    Cancel
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
      <ErrorText error={action.error} />
    </section>
  );
}

function Leave({ api, group }: { readonly api: SynodApi; readonly group: GroupView }) {
  const [confirming, setConfirming] = useState(false);
  const leave = useAction();
  return (
    <section aria-labelledby="leave-heading" className="card">
      <h2 id="leave-heading">Leave the group</h2>
      {!confirming ? (
        <button type="button" className="ghost" onClick={() => setConfirming(true)}>
          Leave “{group.name}”…
        </button>
      ) : (
        <div className="warning" role="alertdialog" aria-labelledby="leave-warning">
          <p id="leave-warning">
            Leave “{group.name}”? Once the group has made it, this laptop takes no more part: it is told
            nothing asked afterwards and cannot vote. It keeps what it knows now.
          </p>
          <button type="button" disabled={leave.busy} onClick={() => void leave.run(() => api.leaveGroup())}>
            {leave.busy ? 'Leaving… (the group decides)' : 'Leave the group'}
          </button>{' '}
          <button type="button" className="ghost" onClick={() => setConfirming(false)}>
            Stay
          </button>
        </div>
      )}
      <ErrorText error={leave.error} />
    </section>
  );
}
