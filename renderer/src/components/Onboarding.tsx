import { useState, type FormEvent } from 'react';
import type { SynodApi } from '../../../src/api/types.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';

/** First run: a display name, then create a group or join one with an invite. */
export function Onboarding({
  api,
  onDone,
}: {
  readonly api: SynodApi;
  readonly onDone: () => Promise<void>;
}) {
  const [displayName, setDisplayName] = useState('');
  const [groupName, setGroupName] = useState('');
  const [invite, setInvite] = useState('');
  const { busy, error, run: runAction } = useAction();

  const run = (action: () => Promise<unknown>) => async (event: FormEvent) => {
    event.preventDefault();
    if (await runAction(action)) await onDone();
  };

  return (
    <main className="onboarding">
      <h2>Welcome to Synod</h2>
      <p className="muted">Agree on exactly one option with the laptops around you — no server involved.</p>
      <label className="field">
        <span>Your name</span>
        <input
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          maxLength={64}
          autoFocus
        />
      </label>
      <div className="two-columns">
        <form className="card" onSubmit={run(() => api.createGroup({ groupName, displayName }))}>
          <h3>Start a new group</h3>
          <label className="field">
            <span>Group name</span>
            <input value={groupName} onChange={(e) => setGroupName(e.target.value)} maxLength={64} />
          </label>
          <button type="submit" disabled={busy}>
            Create group
          </button>
        </form>
        <form className="card" onSubmit={run(() => api.joinGroup({ invite, displayName }))}>
          <h3>Join a group</h3>
          <label className="field">
            <span>Invite</span>
            <textarea
              value={invite}
              onChange={(e) => setInvite(e.target.value)}
              rows={3}
              placeholder="synod1:…"
            />
          </label>
          <button type="submit" disabled={busy}>
            Join group
          </button>
        </form>
      </div>
      <ErrorText error={error} />
    </main>
  );
}
