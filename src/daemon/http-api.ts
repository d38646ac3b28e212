import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { SynodError, type SynodApi, type SynodErrorCode } from '../api/types.ts';
import type { Logger } from '../util/logger.ts';

const MAX_BODY_BYTES = 64 * 1024;

const STATUS_OF: Record<SynodErrorCode, number> = {
  'invalid-input': 400,
  unauthorized: 401,
  'not-found': 404,
  'no-group': 409,
  'already-in-group': 409,
  'storage-refused': 503,
};

export interface HttpApiOptions {
  readonly api: SynodApi;
  readonly token: string;
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
 * SynodApi over HTTP + JSON, with live events as Server-Sent Events. Listens on 127.0.0.1 only and
 * needs the token from the data directory (Authorization: Bearer, or ?token= for EventSource). The
 * Host header must name this loopback port, so a web page cannot reach it by DNS rebinding.
 */
export async function startHttpApi(options: HttpApiOptions): Promise<RunningHttpApi> {
  const { api, log } = options;
  const expected = Buffer.from(options.token);
  let port = options.port;

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('token');
    return (
      given !== null && given.length === expected.length && timingSafeEqual(Buffer.from(given), expected)
    );
  };

  const routes: Record<string, (body: unknown, match: readonly (string | undefined)[]) => Promise<unknown>> =
    {
      'GET /api/status': () => api.status(),
      'POST /api/group': (body) => api.createGroup(body as never),
      'POST /api/join': (body) => api.joinGroup(body as never),
      'GET /api/invite': () => api.invite(),
      'GET /api/peers': () => api.peers(),
      'POST /api/peers': async (body) => {
        await api.addPeer(body as never);
        return { ok: true };
      },
      'GET /api/questions': () => api.questions(),
      'POST /api/questions': (body) => api.createQuestion(body as never),
      'GET /api/questions/:id/timeline': (_body, match) => api.timeline({ questionId: match[1] ?? '' }),
      'POST /api/questions/:id/proposals': (body, match) =>
        api.propose({ ...(isObject(body) ? body : {}), questionId: match[1] ?? '' } as never),
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
    if (req.method === 'GET' && !url.pathname.startsWith('/api/') && options.staticDir !== undefined) {
      return serveStatic(res, options.staticDir, url.pathname);
    }
    if (!authorized(req, url)) {
      return sendJson(res, 401, {
        error: {
          code: 'unauthorized',
          message: 'missing or wrong API token (see api-token in the data directory)',
        },
      });
    }
    if (req.method === 'GET' && url.pathname === '/api/events') return streamEvents(res);
    const route = compiled.find((r) => r.method === req.method && r.pattern.test(url.pathname));
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
      const result = await route.handler(body, url.pathname.match(route.pattern) ?? []);
      sendJson(res, 200, result);
    } catch (error) {
      if (error instanceof SynodError)
        return sendJson(res, STATUS_OF[error.code], { error: { code: error.code, message: error.message } });
      throw error;
    }
  }

  function streamEvents(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': synod events\n\n');
    const unsubscribe = api.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
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
  const relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
