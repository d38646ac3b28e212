import { useCallback, useEffect, useMemo, useState } from 'react';
import type { NodeStatus, PeerView, QuestionView, SynodApi, SynodEvent } from '../../src/api/types.ts';
import { InvitePanel } from './components/InvitePanel.tsx';
import { NewQuestion } from './components/NewQuestion.tsx';
import { Onboarding } from './components/Onboarding.tsx';
import { PeerList } from './components/PeerList.tsx';
import { QuestionCard } from './components/QuestionCard.tsx';
import { ThemeToggle } from './components/ThemeToggle.tsx';
import { errorText } from './format.ts';

function upsert(list: readonly QuestionView[], question: QuestionView): QuestionView[] {
  const next = list.filter((q) => q.id !== question.id);
  next.push(question);
  return next.sort((a, b) => b.createdAt - a.createdAt);
}

/** The whole app: state comes from one initial load, then from the node's live events (no polling). */
export function App({ api }: { readonly api: SynodApi }) {
  const [status, setStatus] = useState<NodeStatus | null>(null);
  const [peers, setPeers] = useState<readonly PeerView[]>([]);
  const [questions, setQuestions] = useState<readonly QuestionView[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const [s, p, q] = await Promise.all([api.status(), api.peers(), api.questions()]);
      setStatus(s);
      setPeers(p);
      setQuestions(q);
      setLoadError(null);
    } catch (error) {
      setLoadError(`Cannot reach the Synod node: ${errorText(error)}`);
    }
  }, [api]);

  useEffect(() => {
    const unsubscribe = api.subscribe((event: SynodEvent) => {
      if (event.type === 'status') {
        setStatus(event.status);
        void reload();
      } else if (event.type === 'peers') {
        setPeers(event.peers);
      } else {
        setQuestions((list) => upsert(list, event.question));
      }
    });
    void reload();
    return unsubscribe;
  }, [api, reload]);

  const names = useMemo(() => {
    const map = new Map<string, string>(peers.map((p) => [p.peerId, p.name]));
    if (status !== null) map.set(status.peerId, status.displayName ?? 'me');
    return map;
  }, [peers, status]);

  if (status === null) {
    return (
      <main className="center">
        <h1>Synod</h1>
        <p role={loadError ? 'alert' : 'status'}>{loadError ?? 'Connecting to your Synod node…'}</p>
      </main>
    );
  }

  const open = questions.filter((q) => q.state !== 'decided');
  const decided = questions.filter((q) => q.state === 'decided');

  return (
    <div className="app">
      <header className="topbar">
        <h1>Synod</h1>
        {status.group !== null && (
          <p className="group" aria-label="Your group">
            <strong>{status.group.name}</strong> · you are <strong>{status.displayName}</strong>
          </p>
        )}
        <ThemeToggle />
      </header>
      {status.storageError !== null && (
        <p className="banner danger" role="alert">
          This node is not voting: {status.storageError}
        </p>
      )}
      {loadError !== null && (
        <p className="banner danger" role="alert">
          {loadError}
        </p>
      )}
      {status.group === null ? (
        <Onboarding api={api} onDone={reload} />
      ) : (
        <div className="layout">
          <aside className="sidebar">
            <PeerList peers={peers} me={status} />
            <InvitePanel api={api} addresses={status.addresses} />
          </aside>
          <main className="content">
            <NewQuestion api={api} />
            <section aria-labelledby="open-heading">
              <h2 id="open-heading">Open questions</h2>
              {open.length === 0 ? (
                <p className="muted">No open questions. Ask one above.</p>
              ) : (
                open.map((q) => (
                  <QuestionCard key={q.id} api={api} question={q} names={names} self={status.peerId} />
                ))
              )}
            </section>
            <section aria-labelledby="decided-heading">
              <h2 id="decided-heading">Decided</h2>
              {decided.length === 0 ? (
                <p className="muted">Nothing decided yet.</p>
              ) : (
                decided.map((q) => (
                  <QuestionCard key={q.id} api={api} question={q} names={names} self={status.peerId} />
                ))
              )}
            </section>
          </main>
        </div>
      )}
    </div>
  );
}
