import type { GroupView } from '../../../src/api/types.ts';
import { formatTime } from '../format.ts';

/** Each change the group made, newest first: the epoch it began, when, and what it did. */
export function GroupHistory({ group }: { readonly group: GroupView }) {
  return (
    <section aria-labelledby="group-history-heading" className="card">
      <h2 id="group-history-heading">What the group decided about itself</h2>
      <ul className="group-history">
        {group.history.map((entry) => (
          <li key={entry.epoch} data-testid="group-change">
            <span dir="auto">{entry.summary}</span>{' '}
            <span className="muted small">
              · epoch {entry.epoch} · {formatTime(entry.at)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
