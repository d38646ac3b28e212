import { useState } from 'react';
import type { QuestionView, SynodApi } from '../../../src/api/types.ts';
import { loadArchived, saveArchived } from '../archive.ts';
import { QuestionCard } from './QuestionCard.tsx';

type Show = 'all' | 'won' | 'asked' | 'archived';

/** What a search matches: the title, the options and the outcome, ignoring case. */
function matches(q: QuestionView, search: string): boolean {
  const words = search.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const text = [q.title, ...q.options, q.outcome?.option ?? '', q.createdByName]
    .join('\n')
    .toLocaleLowerCase();
  return words.every((word) => text.includes(word));
}

/** The decided questions: searched, filtered, and archived from this view (the group keeps them). */
export function History(props: {
  readonly api: SynodApi;
  readonly decided: readonly QuestionView[];
  readonly names: ReadonlyMap<string, string>;
  readonly self: string;
}) {
  const { api, decided, names, self } = props;
  const [search, setSearch] = useState('');
  const [show, setShow] = useState<Show>('all');
  const [archived, setArchived] = useState(() => loadArchived(self));

  const toggle = (id: string) => {
    const next = new Set(archived);
    if (!next.delete(id)) next.add(id);
    saveArchived(self, next);
    setArchived(next);
  };
  const shown = decided.filter(
    (q) =>
      (show === 'archived') === archived.has(q.id) &&
      (show !== 'won' || q.outcome?.youWon === true) &&
      (show !== 'asked' || q.createdBy === self) &&
      matches(q, search),
  );
  const archivedCount = decided.filter((q) => archived.has(q.id)).length;

  return (
    <section aria-labelledby="decided-heading">
      <h2 id="decided-heading">Decided</h2>
      {decided.length > 0 && (
        <div className="history-tools" role="search">
          <label className="field grow">
            <span>Search decided questions</span>
            <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} maxLength={200} />
          </label>
          <label className="field">
            <span>Show</span>
            <select value={show} onChange={(e) => setShow(e.target.value as Show)}>
              <option value="all">Everything decided</option>
              <option value="won">Where my choice won</option>
              <option value="asked">Asked by me</option>
              <option value="archived">Archived ({archivedCount})</option>
            </select>
          </label>
        </div>
      )}
      {decided.length === 0 ? (
        <p className="muted">Nothing decided yet.</p>
      ) : shown.length === 0 ? (
        <p className="muted" role="status">
          {show === 'archived' && archivedCount === 0
            ? 'Nothing archived. Archive a decided question to take it out of this list.'
            : 'No decided question matches.'}
        </p>
      ) : (
        shown.map((q) => (
          <QuestionCard
            key={q.id}
            api={api}
            question={q}
            names={names}
            self={self}
            archive={{ archived: archived.has(q.id), toggle: () => toggle(q.id) }}
          />
        ))
      )}
    </section>
  );
}
