import { useEffect, useState, type FormEvent } from 'react';
import type { SynodApi } from '../../../src/api/types.ts';
import { inviteOfLink } from '../../../src/model/invite-link.ts';
import { LIMITS } from '../../../src/model/limits.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';
import { LengthHint } from './LengthHint.tsx';

const NAME_CHARS = LIMITS.displayNameChars;

/**
 * First run: a display name, then create a group or join one with an invite. Later, the same for one
 * more group (`another`), beside those the laptop is in.
 */
export function Onboarding({
  api,
  another,
  openedInvite,
  onCancel,
  onDone,
}: {
  readonly api: SynodApi;
  /** One more group: the name this person goes by in the group on screen, to start from. */
  readonly another: { readonly displayName: string } | null;
  /** An invite link opened with the app: its invite fills the join form (joining still needs a click). */
  readonly openedInvite: string | null;
  readonly onCancel: () => void;
  /** Called once in the group, with what the user should know (a join that reached nobody) and its id. */
  readonly onDone: (notice: string | null, groupId: string | null) => Promise<void>;
}) {
  const [displayName, setDisplayName] = useState(another?.displayName ?? '');
  const [groupName, setGroupName] = useState('');
  const [invite, setInvite] = useState('');
  useEffect(() => {
    if (openedInvite !== null) setInvite(inviteOfLink(openedInvite));
  }, [openedInvite]);
  const creating = useAction();
  const joining = useAction();
  const busy = creating.busy || joining.busy;

  const create = async (event: FormEvent) => {
    event.preventDefault();
    let groupId: string | null = null;
    const created = await creating.run(async () => {
      groupId = (await api.createGroup({ groupName, displayName })).group?.id ?? null;
    });
    if (created) await onDone(null, groupId);
  };
  const join = async (event: FormEvent) => {
    event.preventDefault();
    let notice: string | null = null;
    let groupId: string | null = null;
    const joined = await joining.run(async () => {
      const result = await api.joinGroup({ invite, displayName });
      groupId = result.status.group?.id ?? null;
      notice =
        result.problem === null
          ? null
          : result.admitted
            ? `You joined, but ${result.problem}.`
            : `You asked to join, but ${result.problem}.`;
    });
    if (joined) await onDone(notice, groupId);
  };

  return (
    <main className="onboarding">
      {another === null ? (
        <>
          <h2>Welcome to Synod</h2>
          <p className="muted">
            Agree on exactly one option with the laptops around you — no server involved.
          </p>
        </>
      ) : (
        <>
          <h2>Another group</h2>
          <p className="muted">
            Start or join one more group. This laptop stays in its other groups; each group sees only its own
            members and questions.{' '}
            <button type="button" className="ghost" onClick={onCancel}>
              Back
            </button>
          </p>
        </>
      )}
      <label className="field">
        <span>Your name</span>
        <input
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          maxLength={NAME_CHARS}
          aria-describedby="name-limit"
          autoFocus
        />
        <LengthHint id="name-limit" value={displayName} max={NAME_CHARS} />
      </label>
      <div className="two-columns">
        <form className="card" onSubmit={(e) => void create(e)}>
          <h3>Start a new group</h3>
          <label className="field">
            <span>Group name</span>
            <input
              value={groupName}
              onChange={(e) => setGroupName(e.target.value)}
              maxLength={LIMITS.groupNameChars}
              aria-describedby="group-name-limit"
            />
            <LengthHint id="group-name-limit" value={groupName} max={LIMITS.groupNameChars} />
          </label>
          <button type="submit" disabled={busy}>
            {creating.busy ? 'Creating…' : 'Create group'}
          </button>
          <ErrorText error={creating.error} />
        </form>
        <form className="card" onSubmit={(e) => void join(e)}>
          <h3>Join a group</h3>
          <label className="field">
            <span>Invite</span>
            <textarea
              value={invite}
              onChange={(e) => setInvite(e.target.value)}
              rows={3}
              placeholder="synod2:…"
            />
          </label>
          <button type="submit" disabled={busy}>
            {joining.busy ? 'Joining… (waiting for a member to answer)' : 'Join group'}
          </button>
          <ErrorText error={joining.error} />
        </form>
      </div>
    </main>
  );
}
