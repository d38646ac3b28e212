import {
  SynodError,
  type AddPeerResult,
  type BidInput,
  type CloseInput,
  type ContinueGroupInput,
  type CreateGroupInput,
  type CreateQuestionInput,
  type GroupSummary,
  type GroupView,
  type JoinGroupInput,
  type JoinResult,
  type NodeStatus,
  type PeerView,
  type ProposeInput,
  type ProposeResult,
  type QuestionView,
  type SynodApi,
  type SynodErrorCode,
  type SynodEvent,
  type TimelineEntry,
  type VoteInput,
} from './types.ts';

/** The daemon writes to an event stream at least every 15 s; silence beyond this means it is dead. */
const EVENT_STREAM_SILENCE_MS = 40_000;
const SESSION_ENDED =
  'this page was signed out (the API token was changed): open a new link with "synod open"';

/**
 * SynodApi over the daemon's local HTTP API. Runs in Node (the CLI, tests) and in a browser (the
 * renderer in browser mode): it uses only fetch and streams.
 */
export class HttpSynodClient implements SynodApi {
  readonly #base: string;
  readonly #token: string;
  /** The group this client addresses; undefined: the laptop's first group. */
  readonly #groupId: string | undefined;

  constructor(baseUrl: string, token: string, groupId?: string) {
    this.#base = baseUrl.replace(/\/$/, '');
    this.#token = token;
    this.#groupId = groupId;
  }

  /** The same daemon, addressing one of its laptop's groups (see `groups`). */
  inGroup(groupId: string): HttpSynodClient {
    return new HttpSynodClient(this.#base, this.#token, groupId);
  }

  /** The groups the laptop is in, is joining, or was in, its first group first. */
  groups(): Promise<GroupSummary[]> {
    return this.#call('GET', '/api/groups');
  }

  /** A call's path in the group this client addresses. */
  #scoped(path: string): string {
    if (this.#groupId === undefined || path === '/api/groups') return path;
    return `/api/groups/${encodeURIComponent(this.#groupId)}${path.slice('/api'.length)}`;
  }

  /** Where the daemon's API is, e.g. http://127.0.0.1:4800. */
  get baseUrl(): string {
    return this.#base;
  }

  status(): Promise<NodeStatus> {
    return this.#call('GET', '/api/status');
  }
  createGroup(input: CreateGroupInput): Promise<NodeStatus> {
    return this.#call('POST', '/api/group', input);
  }
  joinGroup(input: JoinGroupInput): Promise<JoinResult> {
    return this.#call('POST', '/api/join', input);
  }
  invite(input?: { singleUse?: boolean }): Promise<{ invite: string }> {
    return input === undefined ? this.#call('GET', '/api/invite') : this.#call('POST', '/api/invites', input);
  }
  continueGroup(input?: ContinueGroupInput): Promise<NodeStatus> {
    return this.#call('POST', '/api/group/continue', input ?? {});
  }
  group(): Promise<GroupView> {
    return this.#call('GET', '/api/group');
  }
  renameGroup(input: { name: string }): Promise<GroupView> {
    return this.#call('POST', '/api/group/name', input);
  }
  revokeInvite(input: { invite: string }): Promise<GroupView> {
    return this.#call('POST', `/api/invites/${encodeURIComponent(input.invite)}/revoke`, {});
  }
  leaveGroup(): Promise<GroupView> {
    return this.#call('POST', '/api/group/leave', {});
  }
  requestRemoval(input: { member: string }): Promise<GroupView> {
    return this.#call('POST', '/api/group/removals', input);
  }
  approveRemoval(input: { member: string }): Promise<GroupView> {
    return this.#call('POST', `/api/group/removals/${encodeURIComponent(input.member)}/approve`, {});
  }
  peers(): Promise<PeerView[]> {
    return this.#call('GET', '/api/peers');
  }
  addPeer(input: { address: string }): Promise<AddPeerResult> {
    return this.#call('POST', '/api/peers', input);
  }
  questions(): Promise<QuestionView[]> {
    return this.#call('GET', '/api/questions');
  }
  createQuestion(input: CreateQuestionInput): Promise<QuestionView> {
    return this.#call('POST', '/api/questions', input);
  }
  propose(input: ProposeInput): Promise<ProposeResult> {
    const { questionId, ...body } = input;
    return this.#call('POST', `/api/questions/${encodeURIComponent(questionId)}/proposals`, body);
  }

  vote(input: VoteInput): Promise<QuestionView> {
    const { questionId, ...body } = input;
    return this.#call('POST', `/api/questions/${encodeURIComponent(questionId)}/votes`, body);
  }

  bid(input: BidInput): Promise<QuestionView> {
    const { questionId, ...body } = input;
    return this.#call('POST', `/api/questions/${encodeURIComponent(questionId)}/bids`, body);
  }

  close(input: CloseInput): Promise<ProposeResult> {
    const { questionId, ...body } = input;
    return this.#call('POST', `/api/questions/${encodeURIComponent(questionId)}/close`, body);
  }

  /** A new browser link whose code works once (the daemon's own page exchanges it for a session). */
  async newLink(): Promise<string> {
    return (await this.#call<{ url: string }>('POST', '/api/link', {})).url;
  }

  /** A new API token: the old one, every browser session and every unused link stop working. */
  async rotateToken(): Promise<void> {
    await this.#call('POST', '/api/token', {});
  }

  /** Spends a link's one-time code; resolves to the session token a page then uses. */
  static async redeemLink(baseUrl: string, code: string): Promise<string> {
    const res = await fetch(`${baseUrl.replace(/\/$/, '')}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    const json = (await res.json().catch(() => null)) as {
      session?: string;
      error?: { code: string; message: string };
    } | null;
    if (!res.ok || typeof json?.session !== 'string') {
      throw new SynodError('unauthorized', json?.error?.message ?? `HTTP ${res.status}`);
    }
    return json.session;
  }

  timeline(input: { questionId: string }): Promise<TimelineEntry[]> {
    return this.#call('GET', `/api/questions/${encodeURIComponent(input.questionId)}/timeline`);
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    const controller = new AbortController();
    void this.#stream(listener, controller.signal);
    return () => controller.abort();
  }

  async #stream(listener: (event: SynodEvent) => void, signal: AbortSignal): Promise<void> {
    let reachable = true;
    const connection = (now: boolean, problem: string | null) => {
      if (now === reachable) return;
      reachable = now;
      listener({ type: 'connection', reachable: now, problem });
    };
    let connectedBefore = false;
    while (!signal.aborted) {
      // The daemon writes a keep-alive every 15 s: a stream silent for longer is dead (a laptop that
      // slept, a connection cut without a reset), though no error says so.
      const attempt = new AbortController();
      const abortAttempt = () => attempt.abort();
      signal.addEventListener('abort', abortAttempt, { once: true });
      let silence: ReturnType<typeof setTimeout> | undefined;
      const heard = () => {
        clearTimeout(silence);
        silence = setTimeout(abortAttempt, EVENT_STREAM_SILENCE_MS);
      };
      let problem = 'the connection to it ended';
      try {
        heard();
        const res = await fetch(`${this.#base}${this.#scoped('/api/events')}`, {
          headers: this.#headers(),
          signal: attempt.signal,
        });
        if (res.status === 401) {
          connection(false, SESSION_ENDED);
          return;
        }
        if (!res.ok || res.body === null) throw new Error(`events: HTTP ${res.status}`);
        // Events may have been missed while the node was away: a status event makes the UI reload.
        if (connectedBefore) listener({ type: 'status', status: await this.status() });
        connectedBefore = true;
        connection(true, null);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          heard();
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const chunk = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = chunk
              .split('\n')
              .filter((line) => line.startsWith('data: '))
              .map((line) => line.slice(6))
              .join('\n');
            if (data !== '') listener(JSON.parse(data) as SynodEvent);
          }
        }
      } catch {
        if (signal.aborted) return;
        problem = attempt.signal.aborted ? 'it went silent' : 'nothing answers at its address';
      } finally {
        clearTimeout(silence);
        signal.removeEventListener('abort', abortAttempt);
      }
      connection(false, problem);
      // The daemon went away, restarted or the laptop slept: try again shortly.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  #headers(): Record<string, string> {
    return { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' };
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const send = () =>
      fetch(`${this.#base}${this.#scoped(path)}`, {
        method,
        headers: this.#headers(),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // A kept-alive connection that the server closed as idle just as it was reused fails at once; a
    // read is safe to send again (a write is not: it may have been carried out).
    const res = await send()
      .catch((error: unknown) => (method === 'GET' ? send() : Promise.reject(error)))
      .catch((cause: unknown) => {
        throw new Error(`cannot reach the Synod node at ${this.#base}: is it running?`, { cause });
      });
    const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    if (!res.ok) {
      const code = (json?.error?.code ?? 'invalid-input') as SynodErrorCode;
      throw new SynodError(code, json?.error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }
}
