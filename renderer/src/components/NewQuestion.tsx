import { useState, type FormEvent } from 'react';
import { LIMITS } from '../../../src/model/limits.ts';
import { LengthHint } from './LengthHint.tsx';
import type { DecisionRule, SynodApi } from '../../../src/api/types.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';

/**
 * Ask a question: a title and optional options, one per line. When nobody else is online the node
 * answers that only this laptop would decide it; the asker then confirms, or waits for the others.
 */
export function NewQuestion({ api }: { readonly api: SynodApi }) {
  const [title, setTitle] = useState('');
  const [options, setOptions] = useState('');
  const [allowOther, setAllowOther] = useState(false);
  const [aloneWarning, setAloneWarning] = useState<string | null>(null);
  const [rule, setRule] = useState<DecisionRule>('quick');
  /** Minutes from now until anyone may close; empty for no deadline. */
  const [deadlineMinutes, setDeadlineMinutes] = useState('');
  const { busy, error, run } = useAction();

  const ask = async (confirmAlone: boolean) => {
    setAloneWarning(null);
    const list = options
      .split('\n')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    let asked = false;
    await run(async () => {
      try {
        const minutes = Number(deadlineMinutes);
        const deadline =
          rule === 'quick' || deadlineMinutes.trim() === '' ? null : Date.now() + minutes * 60_000;
        await api.createQuestion({ title, options: list, allowOther, confirmAlone, rule, deadline });
        asked = true;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'needs-confirmation') throw e;
        setAloneWarning(e instanceof Error ? e.message : String(e));
      }
    });
    if (asked) {
      setTitle('');
      setOptions('');
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void ask(false);
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="ask-heading">
      <h2 id="ask-heading">Ask a question</h2>
      <label className="field">
        <span>Your question</span>
        <input
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={LIMITS.titleChars}
          aria-describedby="title-limit"
          placeholder="When do we meet?"
        />
        <LengthHint id="title-limit" value={title} max={LIMITS.titleChars} />
      </label>
      <label className="field">
        <span>Options (one per line, optional)</span>
        <textarea
          value={options}
          onChange={(e) => setOptions(e.target.value)}
          rows={3}
          placeholder={'Monday\nTuesday'}
          aria-describedby="options-limit"
        />
        <span id="options-limit" className="small muted">
          At most {LIMITS.optionsPerQuestion} options of {LIMITS.optionChars} characters each
        </span>
      </label>
      <label className="check">
        <input type="checkbox" checked={allowOther} onChange={(e) => setAllowOther(e.target.checked)} />
        <span>Members may also propose options that are not listed</span>
      </label>
      <fieldset className="rules">
        <legend>How is it decided?</legend>
        {(
          [
            ['quick', 'Quick decision', 'the first proposal a majority accepts decides for everyone'],
            ['vote', 'Vote', 'everyone votes and sees the tally; most votes wins when it is closed'],
            [
              'sealed-bid',
              'Auction',
              "each member bids an amount; the highest bid wins when it is closed. Amounts appear only after the close, but they are not secret: members' laptops receive them",
            ],
          ] as const
        ).map(([value, label, help]) => (
          <label key={value} className="check">
            <input type="radio" name="rule" checked={rule === value} onChange={() => setRule(value)} />
            <span>
              <strong>{label}</strong> <span className="muted small">— {help}</span>
            </span>
          </label>
        ))}
        {rule !== 'quick' && (
          <label className="field">
            <span>Deadline in minutes (optional: then anyone may close it; before it, only you)</span>
            <input
              inputMode="numeric"
              value={deadlineMinutes}
              onChange={(e) => setDeadlineMinutes(e.target.value)}
              placeholder="60"
            />
          </label>
        )}
      </fieldset>
      <button type="submit" disabled={busy}>
        Ask
      </button>
      {aloneWarning !== null && (
        <div className="warning" role="alertdialog" aria-labelledby="alone-warning">
          <p id="alone-warning">{aloneWarning}</p>
          <button type="button" disabled={busy} onClick={() => void ask(true)}>
            Ask anyway
          </button>{' '}
          <button type="button" className="ghost" onClick={() => setAloneWarning(null)}>
            Wait for the others
          </button>
        </div>
      )}
      <ErrorText error={error} />
    </form>
  );
}
