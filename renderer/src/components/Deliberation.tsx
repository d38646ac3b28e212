import { OptionField } from './OptionField.tsx';
import { myVoteStanding } from '../../../src/api/vote-words.ts';
import { useEffect, useState, type FormEvent } from 'react';
import type { QuestionView, SynodApi, TallyView } from '../../../src/api/types.ts';
import { formatTime } from '../format.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';

/** The lot of an auction that lists no options (the node's SOLE_LOT). */
const SOLE_LOT = 'the lot';

/** "Alice, Bob and Carol" */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

/** A tally as bars: one row per option, the winner first. */
export function TallyBars({ tally, unit }: { readonly tally: TallyView; readonly unit: 'votes' | 'bid' }) {
  if (tally.sealed) {
    return (
      <p className="small" data-testid="tally">
        {tally.counted} bid{tally.counted === 1 ? '' : 's'} · amounts show when it is closed (they are not
        secret: members' laptops hold them)
      </p>
    );
  }
  const top = Math.max(1, ...tally.lines.map((l) => l.score));
  return (
    <ul className="tally" data-testid="tally" aria-label="Tally">
      {tally.lines.map((line) => (
        <li key={line.option}>
          <span className="tally-option" dir="auto">
            {line.option}
          </span>
          <span className="bar" aria-hidden="true">
            <span style={{ width: `${(100 * line.score) / top}%` }} />
          </span>
          <span className="tally-score">
            {unit === 'votes'
              ? `${line.score} vote${line.score === 1 ? '' : 's'}`
              : `highest bid ${line.score}`}
            {line.members.length > 0 && (
              <span className="muted"> · {listNames(line.members.map((m) => m.name))}</span>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Votes or bids on an open question, its running tally, and the close. */
export function Deliberation(props: {
  readonly api: SynodApi;
  readonly question: QuestionView;
  readonly self: string;
}) {
  const { api, question: q, self } = props;
  const { busy, error, run } = useAction();
  const [other, setOther] = useState('');
  const [amount, setAmount] = useState('');
  const [lot, setLot] = useState(q.options[0] ?? SOLE_LOT);
  const [notice, setNotice] = useState<string | null>(null);
  // Nothing else changes at the deadline: a timer shows the card as it is after it.
  const [, setDeadlinePassed] = useState(false);
  useEffect(() => {
    if (q.deadline === null || q.deadline <= Date.now()) return;
    const timer = setTimeout(() => setDeadlinePassed(true), q.deadline - Date.now() + 50);
    return () => clearTimeout(timer);
  }, [q.deadline]);
  const now = Date.now();
  const pastDeadline = q.deadline !== null && now >= q.deadline;
  const mayClose = q.createdBy === self || pastDeadline;

  const vote = (option: string) => void run(() => api.vote({ questionId: q.id, option }));
  const bid = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api.bid({
        questionId: q.id,
        amount: Number(amount),
        ...(q.options.length > 0 ? { option: lot } : {}),
      });
      setAmount('');
    });
  };
  const close = () =>
    void run(async () => {
      setNotice('Closing: the group is agreeing on the final tally…');
      const result = await api.close({ questionId: q.id });
      setNotice(result.state === 'pending' ? result.message : null);
    });

  return (
    <div className="deliberation">
      {q.tally !== null && <TallyBars tally={q.tally} unit={q.rule === 'vote' ? 'votes' : 'bid'} />}
      {!pastDeadline && q.rule === 'vote' && (
        <>
          <div className="options" role="group" aria-label="Vote">
            {q.options.map((option) => (
              <button
                key={option}
                type="button"
                aria-pressed={q.myVote?.option === option}
                disabled={busy}
                onClick={() => vote(option)}
              >
                Vote “{option}”
              </button>
            ))}
          </div>
          {(q.allowOther || q.options.length === 0) && (
            <form
              className="inline"
              onSubmit={(event) => {
                event.preventDefault();
                vote(other);
                setOther('');
              }}
            >
              <OptionField
                id={`other-${q.id}`}
                label={q.options.length > 0 ? 'Or vote for another answer' : 'Your answer'}
                value={other}
                onChange={setOther}
              />
              <button type="submit" disabled={busy}>
                Vote
              </button>
            </form>
          )}
          <p className="muted small" data-testid="my-vote">
            {q.myVote === null
              ? 'You have not voted. You can change your vote until it is closed.'
              : `You voted “${q.myVote.option}”. ${myVoteStanding(q)} You can change your vote until it is closed.`}
          </p>
        </>
      )}
      {!pastDeadline && q.rule === 'sealed-bid' && (
        <form className="inline" onSubmit={bid}>
          {q.options.length > 0 && (
            <label className="field">
              <span>For</span>
              <select value={lot} onChange={(e) => setLot(e.target.value)}>
                {q.options.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            </label>
          )}
          <label className="field grow">
            <span>Your bid</span>
            <input
              inputMode="decimal"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              placeholder="100"
            />
          </label>
          <button type="submit" disabled={busy || amount.trim() === ''}>
            {q.myVote === null ? 'Place bid' : 'Change bid'}
          </button>
        </form>
      )}
      {q.rule === 'sealed-bid' && q.myVote !== null && (
        <p className="muted small">
          Your bid: {q.myVote.amount}
          {q.options.length > 0 && <> for “{q.myVote.option}”</>} (only your screen shows it before the
          close). {myVoteStanding(q)}
        </p>
      )}
      {mayClose ? (
        <button type="button" disabled={busy} onClick={close}>
          {q.rule === 'vote' ? 'Close the vote' : 'Close the auction'}
        </button>
      ) : (
        <p className="muted small">
          {q.deadline === null
            ? `${q.createdByName} closes it.`
            : `${q.createdByName} closes it, or anyone after ${formatTime(q.deadline)}.`}
        </p>
      )}
      {notice !== null && <p className="muted small">{notice}</p>}
      <ErrorText error={error} />
    </div>
  );
}
