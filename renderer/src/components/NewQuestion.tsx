import { useState, type FormEvent } from 'react';
import type { SynodApi } from '../../../src/api/types.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './ErrorText.tsx';

/** Ask a question: a title and optional options, one per line. */
export function NewQuestion({ api }: { readonly api: SynodApi }) {
  const [title, setTitle] = useState('');
  const [options, setOptions] = useState('');
  const [allowOther, setAllowOther] = useState(true);
  const { busy, error, run } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const list = options
      .split('\n')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    if (await run(() => api.createQuestion({ title, options: list, allowOther }))) {
      setTitle('');
      setOptions('');
    }
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
      <ErrorText error={error} />
    </form>
  );
}
