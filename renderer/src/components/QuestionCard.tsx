import { useState, type FormEvent } from 'react';
import type { QuestionView, SynodApi } from '../../../src/api/types.ts';
import { formatTime } from '../format.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';
import { Timeline } from './Timeline.tsx';

/** "Alice, Bob and Carol" */
function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

/** "needs 2 of these 3 online" — what a quorum means to the people who must be there. */
function quorumText(q: QuestionView): string {
  if (q.acceptors.length === 1) return 'only its asker decides it';
  return `needs ${q.quorum} of these ${q.acceptors.length} online`;
}

function stateText(q: QuestionView): string {
  if (q.state === 'decided') return 'Decided';
  if (q.state === 'waiting-for-quorum') {
    return `Waiting: ${q.reachableAcceptors} of ${q.acceptors.length} online, ${q.quorum} needed`;
  }
  return `Open: ${q.reachableAcceptors} of ${q.acceptors.length} online`;
}

export function QuestionCard(props: {
  readonly api: SynodApi;
  readonly question: QuestionView;
  readonly names: ReadonlyMap<string, string>;
  readonly self: string;
}) {
  const { api, question: q, names, self } = props;
  const [other, setOther] = useState('');
  const { error, run } = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [showTimeline, setShowTimeline] = useState(false);

  const propose = async (option: string) => {
    setNotice('Proposing…');
    const done = await run(async () => {
      const result = await api.propose({ questionId: q.id, option });
      setNotice(
        result.state === 'pending' ? result.message : result.won ? 'Your proposal was chosen.' : null,
      );
    });
    if (!done) setNotice(null);
  };
  const submitOther = (event: FormEvent) => {
    event.preventDefault();
    void propose(other).then(() => setOther(''));
  };

  return (
    <article className={`card question ${q.state}`} aria-labelledby={`q-${q.id}`} data-testid="question">
      <header>
        <h3 id={`q-${q.id}`}>{q.title}</h3>
        <p className="muted small">
          asked by {q.createdByName} · {formatTime(q.createdAt)}
        </p>
      </header>
      {q.outcome !== null ? (
        <div className="outcome" role="status" data-testid="outcome">
          <span className="label">Decided — final</span>
          <strong className="value">{q.outcome.option}</strong>
          <span className="small">
            proposed by {q.outcome.proposedByName}
            {q.outcome.decidedAt !== null && <> · decided {formatTime(q.outcome.decidedAt)}</>}
          </span>
          <span className="small" data-testid="certificate">
            {q.outcome.certificate === null
              ? 'decided before outcomes carried signatures'
              : `accepted by ${listNames(q.outcome.certificate.acceptedBy.map((a) => a.name))} at ballot ${q.outcome.certificate.ballot.round} (signed)`}
          </span>
        </div>
      ) : (
        <p className={`state ${q.state}`} role="status">
          {stateText(q)}
          {q.myProposal !== null && <> · you proposed “{q.myProposal}”</>}
        </p>
      )}
      {q.safetyViolation !== null && (
        <div className="error" role="alert" data-testid="safety-violation">
          <strong>Safety was broken.</strong> Other members hold a signed outcome “
          {q.safetyViolation.otherOption ?? 'unreadable'}” for this question. This node keeps the first one.{' '}
          {q.safetyViolation.liars.length > 0
            ? `Their signatures prove that ${listNames(q.safetyViolation.liars.map((l) => l.name))} lied.`
            : `Signed both: ${listNames(q.safetyViolation.signedBoth.map((l) => l.name))}.`}
        </div>
      )}
      <p className="acceptors small">
        Decided by ({quorumText(q)}):{' '}
        {q.acceptors.map((a) => (
          <span key={a.peerId} className={`chip ${a.online ? 'online' : 'offline'}`}>
            {a.name}
            <span className="visually-hidden">{a.online ? ' (reachable)' : ' (unreachable)'}</span>
          </span>
        ))}
      </p>
      {q.outcome === null && (
        <div className="propose">
          {q.options.length > 0 && (
            <div className="options" role="group" aria-label="Propose an option">
              {q.options.map((option) => (
                <button key={option} type="button" onClick={() => void propose(option)}>
                  Propose “{option}”
                </button>
              ))}
            </div>
          )}
          {(q.allowOther || q.options.length === 0) && (
            <form onSubmit={submitOther} className="inline">
              <label className="field grow">
                <span>{q.options.length > 0 ? 'Or another option' : 'Your option'}</span>
                <input value={other} onChange={(e) => setOther(e.target.value)} maxLength={200} />
              </label>
              <button type="submit">Propose</button>
            </form>
          )}
        </div>
      )}
      {notice !== null && <p className="muted small">{notice}</p>}
      <ErrorText error={error} />
      <button
        type="button"
        className="ghost"
        aria-expanded={showTimeline}
        onClick={() => setShowTimeline((s) => !s)}
      >
        {showTimeline ? 'Hide how it was decided' : 'How it was decided'}
      </button>
      {showTimeline && <Timeline api={api} question={q} names={names} self={self} />}
    </article>
  );
}
