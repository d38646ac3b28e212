import { OptionField } from './OptionField.tsx';
import { useState, type FormEvent } from 'react';
import type { QuestionView, SynodApi } from '../../../src/api/types.ts';
import { formatTime } from '../format.ts';
import { useAction } from '../use-action.ts';
import { Deliberation, listNames, TallyBars } from './Deliberation.tsx';
import { ErrorText } from './ErrorText.tsx';
import { Timeline } from './Timeline.tsx';

const RULE_NAMES = { quick: 'Quick decision', vote: 'Vote', 'sealed-bid': 'Auction' } as const;

/** The story of a decision in plain words, before the picture of its Paxos rounds. */
function story(q: QuestionView): string | null {
  const outcome = q.outcome;
  if (outcome === null) return null;
  const agreed = outcome.certificate?.acceptedBy.map((a) => a.name) ?? [];
  const laptops = agreed.length > 0 ? ` ${listNames(agreed)}'s laptops agreed on it; it is final.` : '';
  if (outcome.close === null) {
    return `${outcome.proposedByName} proposed “${outcome.option ?? ''}”, and it was the first proposal a majority of the question's voters accepted.${laptops}`;
  }
  const when = formatTime(outcome.close.closedAt);
  const counted = outcome.close.tally?.counted ?? 0;
  const what =
    q.rule === 'vote'
      ? `the vote at ${when} with ${counted} vote${counted === 1 ? '' : 's'}`
      : `the auction at ${when} with ${counted} bid${counted === 1 ? '' : 's'}`;
  return `${outcome.proposedByName} closed ${what}.${laptops}`;
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
  /** For a decided question: whether it is archived in this view, and the button that changes it. */
  readonly archive?: { readonly archived: boolean; readonly toggle: () => void };
}) {
  const { api, question: q, names, self, archive } = props;
  const [other, setOther] = useState('');
  const { error, run } = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [showTimeline, setShowTimeline] = useState(false);
  const winningBid = q.outcome?.close?.winningBid ?? null;
  const finalTally = q.outcome?.close?.tally ?? null;

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
        <h3 id={`q-${q.id}`} dir="auto">
          {q.title}
        </h3>
        <p className="muted small">
          <span className="rule">{RULE_NAMES[q.rule]}</span> · asked by {q.createdByName} ·{' '}
          {formatTime(q.createdAt)}
          {q.deadline !== null && q.outcome === null && <> · closes {formatTime(q.deadline)}</>}
        </p>
        {archive !== undefined && (
          <button type="button" className="link-button small" onClick={archive.toggle}>
            {archive.archived ? 'Back to the list' : 'Archive'}
            <span className="visually-hidden"> “{q.title}”</span>
          </button>
        )}
      </header>
      {q.outcome !== null ? (
        <div className="outcome" role="status" data-testid="outcome">
          <span className="label">Decided — final</span>
          <strong className="value" dir="auto">
            {winningBid !== null
              ? `${winningBid.member.name} wins with ${winningBid.amount}`
              : (q.outcome.option ??
                (q.outcome.close?.tally === null ? 'Fetching the final tally…' : 'Nothing was cast'))}
          </strong>
          {winningBid !== null && q.options.length > 0 && <span>for “{q.outcome.option}”</span>}
          <span className="small">
            {q.outcome.close === null ? 'proposed' : 'closed'} by {q.outcome.proposedByName}
            {q.outcome.decidedAt !== null && <> · decided {formatTime(q.outcome.decidedAt)}</>}
          </span>
          {q.outcome.youWon !== null && (
            <span className="small" data-testid="you-won">
              {q.outcome.youWon ? 'Your choice won.' : 'Your choice did not win.'}
            </span>
          )}
          {finalTally !== null && <TallyBars tally={finalTally} unit={q.rule === 'vote' ? 'votes' : 'bid'} />}
          {/* The ballot's round is a protocol detail (the asker's first ballot is round 0): it is in
              the tooltip, and the picture of the decision shows every ballot. */}
          <span
            className="small"
            data-testid="certificate"
            title={
              q.outcome.certificate === null
                ? undefined
                : `ballot round ${q.outcome.certificate.ballot.round}`
            }
          >
            {q.outcome.certificate === null
              ? 'decided before outcomes carried signatures'
              : `accepted by ${listNames(q.outcome.certificate.acceptedBy.map((a) => a.name))}, each vote signed`}
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
      {q.outcome !== null ? (
        <p className="acceptors small">Its voters: {listNames(q.acceptors.map((a) => a.name))}</p>
      ) : (
        <p className="acceptors small">
          Decided by ({quorumText(q)}):{' '}
          {q.acceptors.map((a) => (
            <span key={a.peerId} className={`chip ${a.online ? 'online' : 'offline'}`}>
              {a.name}
              <span className="visually-hidden">{a.online ? ' (reachable)' : ' (unreachable)'}</span>
            </span>
          ))}
        </p>
      )}
      {q.outcome === null && q.rule !== 'quick' && <Deliberation api={api} question={q} self={self} />}
      {q.outcome === null && q.rule === 'quick' && (
        <div className="propose">
          <p className="muted small">
            Quick decision: the first proposal a majority accepts decides for everyone.
          </p>
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
              <OptionField
                id={`other-${q.id}`}
                label={q.options.length > 0 ? 'Or another option' : 'Your option'}
                value={other}
                onChange={setOther}
              />
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
      {showTimeline && story(q) !== null && (
        <p className="story" data-testid="story">
          {story(q)}
        </p>
      )}
      {showTimeline && <Timeline api={api} question={q} names={names} self={self} />}
    </article>
  );
}
