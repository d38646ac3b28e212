import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  GroupSummary,
  GroupView,
  NodeStatus,
  PeerView,
  QuestionView,
  SynodApi,
  SynodEvent,
} from '../../src/api/types.ts';
import { BrowserNotices } from './browser-notices.ts';
import { GroupPage } from './components/GroupPage.tsx';
import { GroupSwitcher } from './components/GroupSwitcher.tsx';
import { Lineage } from './components/GroupSuccession.tsx';
import { History } from './components/History.tsx';
import { InvitePanel } from './components/InvitePanel.tsx';
import { NotifyButton } from './components/NotifyButton.tsx';
import { NewQuestion } from './components/NewQuestion.tsx';
import { Onboarding } from './components/Onboarding.tsx';
import { PeerList } from './components/PeerList.tsx';
import { QuestionCard } from './components/QuestionCard.tsx';
import { ThemeToggle } from './components/ThemeToggle.tsx';
import { errorText } from './format.ts';
import { markSeen } from './unread.ts';

function upsert(list: readonly QuestionView[], question: QuestionView): QuestionView[] {
  const next = list.filter((q) => q.id !== question.id);
  next.push(question);
  return next.sort((a, b) => b.createdAt - a.createdAt);
}

/** The whole app: state comes from one initial load, then from the node's live events (no polling). */
export function App({ api: laptop }: { readonly api: SynodApi }) {
  /** The group on screen (null: the laptop's first group), and the API that reaches it. */
  const [shown, setShown] = useState<string | null>(null);
  const api = useMemo(() => (shown === null ? laptop : laptop.inGroup(shown)), [laptop, shown]);
  const [groups, setGroups] = useState<readonly GroupSummary[]>([]);
  const [status, setStatus] = useState<NodeStatus | null>(null);
  const [peers, setPeers] = useState<readonly PeerView[]>([]);
  const [questions, setQuestions] = useState<readonly QuestionView[]>([]);
  /** The group as its log has it (null: not loaded, or not in a group). */
  const [group, setGroup] = useState<GroupView | null>(null);
  /** 'another': joining or starting one more group. */
  const [page, setPage] = useState<'questions' | 'group' | 'another'>('questions');
  const [loadError, setLoadError] = useState<string | null>(null);
  /** Why the node does not answer (it stopped, restarts, or the laptop slept), or null while it does. */
  const [unreachable, setUnreachable] = useState<string | null>(null);

  /** What a finished step left to know (a join that reached nobody), until dismissed. */
  const [notice, setNotice] = useState<string | null>(null);
  /** An invite link opened with the app (`#join=` in a browser, the system's in Electron), to offer. */
  const [openedInvite, setOpenedInvite] = useState<string | null>(takeJoinFragment);
  /** Browser mode only: Electron's main process notifies of decisions itself. */
  const notices = useRef<BrowserNotices | null>(null);

  const reload = useCallback(async () => {
    try {
      const [s, p, q, g] = await Promise.all([api.status(), api.peers(), api.questions(), api.groups()]);
      if (notices.current === null && window.synod === undefined)
        notices.current = new BrowserNotices(q.filter((x) => x.outcome !== null).map((x) => x.id));
      setStatus(s);
      setPeers(p);
      setQuestions(q);
      setGroups(g);
      setGroup(s.group === null ? null : await api.group());
      setLoadError(null);
    } catch (error) {
      setLoadError(`Cannot reach the Synod node: ${errorText(error)}`);
    }
  }, [api]);

  useEffect(() => {
    const unsubscribe = api.subscribe((event: SynodEvent) => {
      notices.current?.handle(event);
      if (event.type === 'status') {
        setStatus(event.status);
        void reload();
      } else if (event.type === 'connection') {
        setUnreachable(event.reachable ? null : (event.problem ?? 'no answer'));
      } else if (event.type === 'peers') {
        setPeers(event.peers);
      } else if (event.type === 'group') {
        setGroup(event.group);
      } else if (event.type === 'open-invite') {
        setOpenedInvite(event.link);
      } else {
        setQuestions((list) => upsert(list, event.question));
      }
    });
    void reload();
    return unsubscribe;
  }, [api, reload]);

  // What is on screen is seen: the group switcher counts only what came after.
  useEffect(() => {
    if (status !== null && status.group !== null) markSeen(status.peerId, status.group.id, questions);
  }, [status, questions]);

  // An invite link opened while in a group offers to join that group as well.
  useEffect(() => {
    if (openedInvite !== null && status !== null && status.group !== null) setPage('another');
  }, [openedInvite, status]);

  const show = (groupId: string | null) => {
    if (groupId === status?.group?.id) return setPage('questions');
    setQuestions([]);
    setPeers([]);
    setGroup(null);
    setNotice(null);
    setPage('questions');
    setShown(groupId);
  };

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
  /** Whether this laptop takes part (a group without a log: always); if not, it only shows what it knew. */
  const member = group === null || (group.self === 'member' && group.successor === null);
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
        {status.group !== null && (
          <nav aria-label="Pages" className="pages">
            <button
              type="button"
              className="ghost"
              aria-current={page === 'questions' ? 'page' : undefined}
              onClick={() => setPage('questions')}
            >
              Questions
            </button>
            <button
              type="button"
              className="ghost"
              aria-current={page === 'group' ? 'page' : undefined}
              onClick={() => setPage('group')}
            >
              Group and members
            </button>
          </nav>
        )}
        {window.synod === undefined && <NotifyButton />}
        <ThemeToggle />
      </header>
      {status.group !== null && (
        <GroupSwitcher
          api={laptop}
          groups={groups}
          shownId={status.group.id}
          self={status.peerId}
          onShow={show}
          onAnother={() => setPage('another')}
        />
      )}
      {status.storageError !== null && (
        <p className="banner danger" role="alert">
          This node is not voting: {status.storageError}
        </p>
      )}
      {unreachable !== null ? (
        <p className="banner danger" role="alert" data-testid="unreachable">
          Your Synod node is not answering ({unreachable}). Trying again every second; until it answers, what
          you see here may be out of date, and nothing you do can be sent.
        </p>
      ) : (
        loadError !== null && (
          <p className="banner danger" role="alert">
            {loadError}
          </p>
        )
      )}
      {group !== null && (
        <Lineage part="successor" group={group} has={(id) => groups.some((g) => g.id === id)} onShow={show} />
      )}
      {group !== null && group.self !== 'member' && (
        <p className="banner warning" role="status" data-testid="standing">
          {STANDING[group.self]}
        </p>
      )}
      {notice !== null && (
        <p className="banner warning" role="alert" data-testid="notice">
          {notice}{' '}
          <button type="button" className="ghost" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}
      {status.group === null || page === 'another' ? (
        <Onboarding
          api={laptop}
          another={status.group === null ? null : { displayName: status.displayName ?? '' }}
          openedInvite={openedInvite}
          onCancel={() => {
            setOpenedInvite(null);
            setPage('questions');
          }}
          onDone={async (message, groupId) => {
            setOpenedInvite(null);
            if (status.group !== null && groupId !== null) show(groupId);
            else setPage('questions');
            setNotice(message);
            await reload();
          }}
        />
      ) : (
        <div className={unreachable === null ? 'layout' : 'layout stale'} aria-busy={unreachable !== null}>
          <aside className="sidebar">
            <PeerList api={api} peers={peers} me={status} known={unreachable === null} />
            {member && <InvitePanel api={api} addresses={status.addresses} epoch={group?.epoch ?? null} />}
          </aside>
          {page === 'group' && group !== null ? (
            <main className="content">
              <GroupPage
                api={api}
                group={group}
                peers={peers}
                self={status.peerId}
                onShow={show}
                has={(id) => groups.some((g) => g.id === id)}
              />
            </main>
          ) : (
            <main className="content">
              {member && <NewQuestion api={api} />}
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
              <History api={api} decided={decided} names={names} self={status.peerId} />
            </main>
          )}
        </div>
      )}
    </div>
  );
}

/**
 * In a browser, an invite link opens this page with `#join=<the link>` (see InvitePanel): taken out of
 * the address bar at once, like the session code, and offered on the first page.
 */
function takeJoinFragment(): string | null {
  const match = /^#join=(.+)$/s.exec(location.hash);
  if (match === null) return null;
  history.replaceState(null, '', location.pathname);
  try {
    return decodeURIComponent(match[1] ?? '');
  } catch {
    return match[1] ?? null;
  }
}

/** Where this laptop stands in its group, when it is not a member (see GroupView.self). */
const STANDING = {
  joining:
    'The group has not let this laptop in yet: a majority of its members must be online and make the join. ' +
    'It keeps asking; until then it is told nothing of the group.',
  left: 'This laptop left the group. It takes no more part; what it knew is still shown here.',
  removed:
    'The members removed this laptop from the group. It takes no more part and is told nothing asked ' +
    'since; what it knew before is still shown here.',
} as const;
