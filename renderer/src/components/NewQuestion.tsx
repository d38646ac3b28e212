import { useState, type FormEvent } from 'react';
import type { SynodApi } from '../../../src/api/types.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';

/**
 * Ask a question: a title and optional options, one per line. When nobody else is online the node
 * answers that only this laptop would decide it; the asker then confirms, or waits for the others.
 */
export function NewQuestion({ api }: { readonly api: SynodApi }) {
  const [title, setTitle] = useState('');
  const [options, setOptions] = useState('');
  const [allowOther, setAllowOther] = useState(true);
  const [aloneWarning, setAloneWarning] = useState<string | null>(null);
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
        await api.createQuestion({ title, options: list, allowOther, confirmAlone });
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
          maxLength={200}
          placeholder="When do we meet?"
        />
      </label>
      <label className="field">
        <span>Options (one per line, optional)</span>
        <textarea
          value={options}
          onChange={(e) => setOptions(e.target.value)}
          rows={3}
          placeholder={'Monday\nTuesday'}
        />
      </label>
      <label className="check">
        <input type="checkbox" checked={allowOther} onChange={(e) => setAllowOther(e.target.checked)} />
        <span>Members may propose other options</span>
      </label>
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
