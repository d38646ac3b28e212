import { useState, type FormEvent } from 'react';
import type { SynodApi } from '../../../src/api/types.ts';
import { errorText } from '../format.ts';

/** Ask a question: a title and optional options, one per line. */
export function NewQuestion({ api }: { readonly api: SynodApi }) {
  const [title, setTitle] = useState('');
  const [options, setOptions] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const list = options
        .split('\n')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      await api.createQuestion({ title, options: list });
      setTitle('');
      setOptions('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
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
      <button type="submit" disabled={busy}>
        Ask
      </button>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
