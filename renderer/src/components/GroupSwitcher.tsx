import { useEffect, useState } from 'react';
import type { GroupSummary, SynodApi } from '../../../src/api/types.ts';
import { unreadCount } from '../unread.ts';

/**
 * The laptop's groups, one button each with what is new in it (questions asked, or decided, since
 * this person last looked), and the way to join or start another.
 */
export function GroupSwitcher({
  api,
  groups,
  shownId,
  self,
  onShow,
  onAnother,
}: {
  /** The laptop's API (any group's will do): each other group is reached through `inGroup`. */
  readonly api: SynodApi;
  readonly groups: readonly GroupSummary[];
  /** The group on screen. */
  readonly shownId: string | null;
  readonly self: string;
  readonly onShow: (groupId: string) => void;
  readonly onAnother: () => void;
}) {
  const unread = useUnread(api, groups, shownId, self);
  return (
    <nav aria-label="Your groups" className="groups">
      {groups.length > 1 &&
        groups.map((g) => {
          const count = unread.get(g.id) ?? 0;
          const state = g.continuedIn !== null ? 'continued' : g.self === 'member' ? null : g.self;
          const label = state === null ? g.name : `${g.name} (${state})`;
          return (
            <button
              key={g.id}
              type="button"
              className="ghost"
              aria-current={g.id === shownId ? 'true' : undefined}
              aria-label={count > 0 ? `${label}, ${count} new` : label}
              onClick={() => onShow(g.id)}
            >
              {g.name}
              {state !== null && <span className="muted"> ({state})</span>}
              {count > 0 && (
                <span className="badge" data-testid="unread">
                  {count}
                </span>
              )}
            </button>
          );
        })}
      <button type="button" className="ghost" onClick={onAnother}>
        Join or start another group…
      </button>
    </nav>
  );
}

/** What is new in each group not on screen, kept up to date from its own events. */
function useUnread(
  api: SynodApi,
  groups: readonly GroupSummary[],
  shownId: string | null,
  self: string,
): ReadonlyMap<string, number> {
  const [counts, setCounts] = useState<ReadonlyMap<string, number>>(new Map());
  const others = groups
    .map((g) => g.id)
    .filter((id) => id !== shownId)
    .join(',');
  useEffect(() => {
    const ids = others === '' ? [] : others.split(',');
    let stopped = false;
    const count = async (id: string) => {
      const questions = await api
        .inGroup(id)
        .questions()
        .catch(() => null);
      if (stopped || questions === null) return;
      setCounts((before) => new Map(before).set(id, unreadCount(self, id, questions)));
    };
    const ends = ids.map((id) => {
      void count(id);
      return api.inGroup(id).subscribe((event) => {
        if (event.type === 'question' || event.type === 'status') void count(id);
      });
    });
    return () => {
      stopped = true;
      for (const end of ends) end();
    };
  }, [api, others, self]);
  return shownId === null ? counts : new Map([...counts].filter(([id]) => id !== shownId));
}
