import { useState } from 'react';
import type { GroupView, SynodApi } from '../../../src/api/types.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';

/**
 * The way out of a group whose deciders are gone for good: a new group that names this one. Offered
 * when too few of them are online for any change; made only after a confirmation that says what it
 * does to this laptop's place here.
 */
export function ContinueGroup({
  api,
  group,
  onStarted,
}: {
  readonly api: SynodApi;
  readonly group: GroupView;
  readonly onStarted: (groupId: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const start = async () => {
    let id: string | null = null;
    const done = await action.run(async () => {
      id = (await api.continueGroup()).group?.id ?? null;
    });
    if (done && id !== null) onStarted(id);
  };
  return (
    <div>
      {!confirming ? (
        <button type="button" className="ghost" onClick={() => setConfirming(true)}>
          Start a new group that continues this one…
        </button>
      ) : (
        <div className="warning" role="alertdialog" aria-labelledby="continue-warning">
          <p id="continue-warning">
            Start a new group that continues “{group.name}”? It names this group (as of its epoch{' '}
            {group.epoch}) so that everyone who joins it knows where it came from; the members who remain join
            it with its invites. This laptop then takes no more part in “{group.name}” and keeps what it knew
            of it, read-only. If the members who are away come back, they can join the new group too.
          </p>
          <button type="button" disabled={action.busy} onClick={() => void start()}>
            {action.busy ? 'Starting…' : 'Start the new group'}
          </button>{' '}
          <button type="button" className="ghost" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ErrorText error={action.error} />
    </div>
  );
}

/** Where this group came from (`part` predecessor), or where this laptop continues it, with the way there. */
export function Lineage({
  part,
  group,
  has,
  onShow,
}: {
  readonly part: 'predecessor' | 'successor';
  readonly group: GroupView;
  /** Whether this laptop holds that group. */
  readonly has: (groupId: string) => boolean;
  readonly onShow: (groupId: string) => void;
}) {
  const predecessor = part === 'predecessor' ? group.predecessor : null;
  const successor = part === 'successor' ? group.successor : null;
  if (predecessor === null && successor === null) return null;
  return (
    <>
      {predecessor !== null && (
        <p className="muted" data-testid="predecessor">
          This group continues “{predecessor.name}” (as of its epoch {predecessor.epoch}), whose deciders were
          gone; what “{predecessor.name}” decided stays on the laptops of the members who were in it.{' '}
          {has(predecessor.groupId) && (
            <button type="button" className="ghost" onClick={() => onShow(predecessor.groupId)}>
              Show “{predecessor.name}”
            </button>
          )}
        </p>
      )}
      {successor !== null && (
        <p className="banner warning" role="status" data-testid="successor">
          This laptop continues this group in “{successor.name}”: here it takes no more part, and keeps what
          it knew, read-only.{' '}
          {has(successor.groupId) && (
            <button type="button" className="ghost" onClick={() => onShow(successor.groupId)}>
              Go to “{successor.name}”
            </button>
          )}
        </p>
      )}
    </>
  );
}
