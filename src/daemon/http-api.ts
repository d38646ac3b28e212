import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SynodError, type GroupSummary, type SynodApi, type SynodErrorCode } from '../api/types.ts';
import type { Logger } from '../util/logger.ts';
import type { ApiAccess } from './api-access.ts';

const MAX_BODY_BYTES = 64 * 1024;
/** Event streams open at once; each costs a listener and a buffer. */
export const MAX_EVENT_STREAMS = 64;
/** What a stream may have waiting for a reader that does not read before it is dropped. */
export const MAX_UNREAD_EVENT_BYTES = 1024 * 1024;

const STATUS_OF: Record<SynodErrorCode, number> = {
  'invalid-input': 400,
  'needs-confirmation': 409,
  unauthorized: 401,
  'not-found': 404,
  'no-group': 409,
  'already-in-group': 409,
  'storage-refused': 503,
  unreachable: 502,
  'rate-limited': 429,
};

/** The laptop's groups, beside SynodApi (which is its first group): see SynodNode. */
export interface GroupDirectory {
  groups(): Promise<readonly GroupSummary[]>;
  /** The API of one group by its id; throws `not-found` when the laptop is in no such group. */
  inGroup(groupId: string): SynodApi;
}

export interface HttpApiOptions {
  /** The laptop's first group, which `/api/...` addresses. */
  readonly api: SynodApi;
  /** Its groups: `GET /api/groups`, and `/api/groups/:id/...` for any call in one of them. */
  readonly groups?: GroupDirectory;
  readonly access: ApiAccess;
  readonly port: number;
  readonly log: Logger;
  /** The built renderer, served at / so that a browser is the full app (browser mode). */
  readonly staticDir?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The page may load only its own files and talk only to this API: no remote content at all. */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface RunningHttpApi {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * SynodApi over HTTP + JSON, with live events as Server-Sent Events. Listens on 127.0.0.1 only. Every
 * API call needs `Authorization: Bearer` with the token from the data directory or a browser
 * session's (never in the URL). Against web pages in the same browser: the Host header must name
 * this loopback port (DNS rebinding), an Origin other than this port's is refused (a page elsewhere
 * cannot call it even without reading the answer), and a body must be `application/json` (which a
 * plain form cannot send).
 */
export async function startHttpApi(options: HttpApiOptions): Promise<RunningHttpApi> {
  const { api, log, access } = options;
  let port = options.port;
  let eventStreams = 0;

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') === true && access.authorizes(header.slice(7));
  };

  type Handler = (api: SynodApi, body: unknown, match: readonly (string | undefined)[]) => Promise<unknown>;
  const routes: Record<string, Handler> = {
    'GET /api/status': (api) => api.status(),
    'POST /api/group': (api, body) => api.createGroup(body as never),
    'POST /api/join': (api, body) => api.joinGroup(body as never),
    'GET /api/invite': (api) => api.invite(),
    'POST /api/invites': (api, body) => api.invite(body as never),
    'GET /api/group': (api) => api.group(),
    'POST /api/group/name': (api, body) => api.renameGroup(body as never),
    'POST /api/group/leave': (api) => api.leaveGroup(),
    'POST /api/group/continue': (api, body) => api.continueGroup(body as never),
    'POST /api/group/removals': (api, body) => api.requestRemoval(body as never),
    'POST /api/group/removals/:id/approve': (api, _body, match) =>
      api.approveRemoval({ member: match[1] ?? '' }),
    'POST /api/invites/:id/revoke': (api, _body, match) => api.revokeInvite({ invite: match[1] ?? '' }),
    'GET /api/peers': (api) => api.peers(),
    'POST /api/peers': (api, body) => api.addPeer(body as never),
    'GET /api/questions': (api) => api.questions(),
    'POST /api/questions': (api, body) => api.createQuestion(body as never),
    'GET /api/questions/:id/timeline': (api, _body, match) => api.timeline({ questionId: match[1] ?? '' }),
    'POST /api/link': () => Promise.resolve({ url: `http://127.0.0.1:${port}/#code=${access.linkCode()}` }),
    'POST /api/token': async () => {
      await access.rotate();
      return { ok: true };
    },
    'POST /api/questions/:id/proposals': (api, body, match) =>
      api.propose({ ...(isObject(body) ? body : {}), questionId: match[1] ?? '' } as never),
    'POST /api/questions/:id/votes': (api, body, match) =>
      api.vote({ ...(isObject(body) ? body : {}), questionId: match[1] ?? '' } as never),
    'POST /api/questions/:id/bids': (api, body, match) =>
      api.bid({ ...(isObject(body) ? body : {}), questionId: match[1] ?? '' } as never),
    'POST /api/questions/:id/close': (api, body, match) =>
      api.close({ ...(isObject(body) ? body : {}), questionId: match[1] ?? '' } as never),
  };
  const compiled = Object.entries(routes).map(([key, handler]) => {
    const [method, path] = key.split(' ') as [string, string];
    return { method, pattern: new RegExp(`^${path.replace(':id', '([^/]+)')}$`), handler };
  });

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      log.error('API request failed', { error: String(error) });
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: 'internal', message: 'internal error; see the daemon log' } });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return sendJson(res, 421, {
        error: { code: 'wrong-host', message: 'use http://127.0.0.1 with this port' },
      });
    }
    const origin = req.headers.origin;
    if (
      origin !== undefined &&
      origin !== `http://127.0.0.1:${port}` &&
      origin !== `http://localhost:${port}`
    ) {
      return sendJson(res, 403, {
        error: { code: 'wrong-origin', message: 'only the app served on this port may call its API' },
      });
    }
    if (req.method === 'GET' && !url.pathname.startsWith('/api/') && options.staticDir !== undefined) {
      return serveStatic(res, options.staticDir, url.pathname);
    }
    if (req.method === 'POST' && !isJson(req.headers['content-type'])) {
      return sendJson(res, 415, {
        error: { code: 'invalid-input', message: 'send the body as Content-Type: application/json' },
      });
    }
    if (req.method === 'POST' && url.pathname === '/api/session') return startSession(req, res);
    if (!authorized(req)) {
      return sendJson(res, 401, {
        error: {
          code: 'unauthorized',
          message: 'missing or wrong API token (see api-token in the data directory)',
        },
      });
    }
    if (req.method === 'GET' && url.pathname === '/api/groups' && options.groups !== undefined)
      return sendJson(res, 200, await options.groups.groups());
    // `/api/groups/:id/…` is the call `/api/…` in that group.
    let target = api;
    let path = url.pathname;
    const scoped = /^\/api\/groups\/([0-9a-f]{16})(\/.+)$/.exec(path);
    if (scoped !== null && options.groups !== undefined) {
      try {
        target = options.groups.inGroup(scoped[1] as string);
      } catch (error) {
        if (error instanceof SynodError)
          return sendJson(res, STATUS_OF[error.code], {
            error: { code: error.code, message: error.message },
          });
        throw error;
      }
      path = `/api${scoped[2] as string}`;
    }
    if (req.method === 'GET' && path === '/api/events') return streamEvents(res, target);
    const route = compiled.find((r) => r.method === req.method && r.pattern.test(path));
    if (route === undefined)
      return sendJson(res, 404, {
        error: { code: 'not-found', message: `no ${req.method} ${url.pathname}` },
      });
    let body: unknown = undefined;
    if (req.method === 'POST') {
      const parsed = await readJson(req);
      if (!parsed.ok)
        return sendJson(res, parsed.status, { error: { code: 'invalid-input', message: parsed.message } });
      body = parsed.value;
    }
    try {
      const result = await route.handler(target, body, path.match(route.pattern) ?? []);
      sendJson(res, 200, result);
    } catch (error) {
      if (error instanceof SynodError)
        return sendJson(res, STATUS_OF[error.code], { error: { code: error.code, message: error.message } });
      throw error;
    }
  }

  /** A browser link's one-time code, exchanged for a session token the page keeps. */
  async function startSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = await readJson(req);
    const code = parsed.ok && isObject(parsed.value) ? parsed.value.code : undefined;
    const session = typeof code === 'string' ? await access.redeem(code) : null;
    if (session === null) {
      return sendJson(res, 401, {
        error: {
          code: 'unauthorized',
          message: 'this link was used already, or is too old: ask for a new one with "synod open"',
        },
      });
    }
    sendJson(res, 200, { session });
  }

  function streamEvents(res: ServerResponse, source: SynodApi): void {
    if (eventStreams >= MAX_EVENT_STREAMS) {
      return sendJson(res, 503, {
        error: { code: 'busy', message: `at most ${MAX_EVENT_STREAMS} event streams at once` },
      });
    }
    eventStreams++;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // A reader that does not read is dropped once this much waits for it: it costs memory otherwise.
    const write = (chunk: string) => {
      if (res.writableLength > MAX_UNREAD_EVENT_BYTES) res.destroy();
      else res.write(chunk);
    };
    write(': synod events\n\n');
    const unsubscribe = source.subscribe((event) => write(`data: ${JSON.stringify(event)}\n\n`));
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      eventStreams--;
      clearInterval(keepAlive);
      unsubscribe();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serveStatic(res: ServerResponse, root: string, pathname: string): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return sendJson(res, 400, { error: { code: 'invalid-input', message: 'a malformed path' } });
  }
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  let path = join(root, relative === '' ? 'index.html' : relative);
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) path = join(root, 'index.html');
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch {
    // Client-side routes fall back to the app itself.
    path = join(root, 'index.html');
    body = await readFile(path).catch(() => Buffer.from('The UI is not built: run "npm run build".'));
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    'content-security-policy': UI_CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

async function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      return { ok: false, status: 413, message: `the request body is over ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, message: 'the request body is not JSON' };
  }
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
