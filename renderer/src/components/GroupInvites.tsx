import { useState } from 'react';
import type { GroupView, SynodApi } from '../../../src/api/types.ts';
import { formatTime } from '../format.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';

/**
 * The group's open invites: who made each, until when it admits, whether it is for one newcomer, who
 * used it; any member may revoke one (through the group log: once made, it admits nobody). A new
 * single-use invite is made here; the shared one is on the invite panel.
 */
export function GroupInvites({
  api,
  group,
  nameOf,
}: {
  readonly api: SynodApi;
  readonly group: GroupView;
  readonly nameOf: (peerId: string) => string;
}) {
  const action = useAction();
  const [made, setMade] = useState<string | null>(null);
  return (
    <section aria-labelledby="invites-heading" className="card">
      <h2 id="invites-heading">Open invites ({group.invites.length})</h2>
      {group.invites.length === 0 ? (
        <p className="muted">No invite admits anyone now.</p>
      ) : (
        <ul className="group-invites">
          {group.invites.map((invite) => (
            <li key={invite.id} data-testid="group-invite">
              <span>
                By {nameOf(invite.by)}, admits {invite.singleUse ? 'one newcomer' : 'anyone who holds it'}{' '}
                until {formatTime(invite.expiresAt)}
                {invite.usedBy.length > 0 && <> · used by {invite.usedBy.map(nameOf).join(', ')}</>}
              </span>{' '}
              <button
                type="button"
                className="ghost"
                disabled={action.busy}
                aria-label={`Revoke the invite by ${nameOf(invite.by)} until ${formatTime(invite.expiresAt)}`}
                onClick={() => void action.run(() => api.revokeInvite({ invite: invite.id }))}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        disabled={action.busy}
        onClick={() => void action.run(async () => setMade((await api.invite({ singleUse: true })).invite))}
      >
        New invite for one person
      </button>
      {made !== null && (
        <label className="field">
          <span>Invite for one person (admits one newcomer, for 24 hours)</span>
          <textarea
            readOnly
            value={made}
            rows={4}
            data-testid="single-use-invite"
            onFocus={(e) => e.currentTarget.select()}
          />
        </label>
      )}
      <ErrorText error={action.error} />
    </section>
  );
}
