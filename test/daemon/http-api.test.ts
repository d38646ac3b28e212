import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SynodApi, SynodEvent } from '../../src/api/types.ts';
import { ApiAccess } from '../../src/daemon/api-access.ts';
import { MAX_EVENT_STREAMS, startHttpApi, type RunningHttpApi } from '../../src/daemon/http-api.ts';
import { SynodNode } from '../../src/node/synod-node.ts';
import { silentLogger } from '../../src/util/logger.ts';

interface CallOptions {
  method?: string;
  host?: string;
  /** The bearer token; null sends none. */
  token?: string | null;
  origin?: string;
  contentType?: string | null;
  body?: string;
}

let TOKEN = '';

function call(port: number, path: string, options: CallOptions = {}) {
  const method = options.method ?? 'GET';
  const contentType =
    options.contentType === undefined ? (method === 'POST' ? 'application/json' : null) : options.contentType;
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          headers: {
            host: options.host ?? `127.0.0.1:${port}`,
            ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? TOKEN}` }),
            ...(options.origin === undefined ? {} : { origin: options.origin }),
            ...(contentType === null ? {} : { 'content-type': contentType }),
          },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(options.body);
    },
  );
}

describe('local HTTP API', () => {
  let dir: string;
  let node: SynodNode;
  let api: RunningHttpApi;
  let access: ApiAccess;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synod-http-'));
    node = await SynodNode.start({
      dataDir: join(dir, 'node'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
    });
    await mkdir(join(dir, 'ui'));
    await writeFile(join(dir, 'ui', 'index.html'), '<h1>app</h1>');
    access = await ApiAccess.open(join(dir, 'node'));
    TOKEN = (await readFile(join(dir, 'node', 'api-token'), 'utf8')).trim();
    api = await startHttpApi({
      api: node,
      groups: node,
      access,
      port: 0,
      log: silentLogger,
      staticDir: join(dir, 'ui'),
    });
  });
  after(async () => {
    await api.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('needs the token for the API, in the Authorization header only', async () => {
    assert.equal((await call(api.port, '/api/status', { token: null })).status, 401);
    assert.equal((await call(api.port, '/api/status', { token: 'b'.repeat(64) })).status, 401);
    assert.equal((await call(api.port, '/api/status')).status, 200);
    // In a URL it would end up in histories and logs.
    assert.equal((await call(api.port, `/api/status?token=${TOKEN}`, { token: null })).status, 401);
    // As many characters as the token but more bytes: refused, not a crash.
    const wide = await call(api.port, '/api/status', { token: 'é'.repeat(32) + 'a'.repeat(32) });
    assert.equal(wide.status, 401);
    assert.equal((await call(api.port, '/api/status')).status, 200);
  });

  it('refuses calls from another origin and bodies a form could send, changing nothing', async () => {
    const before = (await node.status()).group;
    const create = JSON.stringify({ groupName: 'Hijacked', displayName: 'Mallory' });
    const foreign = await call(api.port, '/api/group', {
      method: 'POST',
      origin: 'http://evil.example',
      body: create,
    });
    assert.deepEqual([foreign.status, JSON.parse(foreign.body).error.code], [403, 'wrong-origin']);
    const otherPort = await call(api.port, '/api/status', { origin: `http://127.0.0.1:${api.port + 1}` });
    assert.equal(otherPort.status, 403);
    const form = await call(api.port, '/api/group', {
      method: 'POST',
      contentType: 'text/plain',
      body: create,
    });
    assert.equal(form.status, 415);
    const noType = await call(api.port, '/api/group', { method: 'POST', contentType: null, body: create });
    assert.equal(noType.status, 415);
    assert.deepEqual((await node.status()).group, before);
    // The app's own page, served on this port, may call it.
    const own = await call(api.port, '/api/status', { origin: `http://127.0.0.1:${api.port}` });
    assert.equal(own.status, 200);
  });

  it('gives a browser a link that works once, for a session that rotation ends', async () => {
    const link = await call(api.port, '/api/link', { method: 'POST', body: '{}' });
    assert.equal(link.status, 200);
    const url = new URL(JSON.parse(link.body).url as string);
    assert.equal(url.origin, `http://127.0.0.1:${api.port}`);
    const code = new URLSearchParams(url.hash.slice(1)).get('code') ?? '';
    assert.match(code, /^[0-9a-f]{32}$/);
    // The code itself opens nothing.
    assert.equal((await call(api.port, '/api/status', { token: code })).status, 401);
    const redeem = () =>
      call(api.port, '/api/session', { method: 'POST', token: null, body: JSON.stringify({ code }) });
    const first = await redeem();
    assert.equal(first.status, 200);
    const session = JSON.parse(first.body).session as string;
    assert.equal((await call(api.port, '/api/status', { token: session })).status, 200);
    const again = await redeem();
    assert.equal(again.status, 401);
    assert.match(JSON.parse(again.body).error.message, /used already/);
    const junk = await call(api.port, '/api/session', { method: 'POST', token: null, body: '{"code":7}' });
    assert.equal(junk.status, 401);

    // Sessions outlive a restart of the daemon (their hashes are on disk) ...
    const reopened = await ApiAccess.open(join(dir, 'node'));
    assert.equal(reopened.authorizes(session), true);
    const saved = await readFile(join(dir, 'node', 'api-sessions.json'), 'utf8');
    assert.equal(saved.includes(session), false, 'only hashes of sessions are stored');

    // ... and end, with the old token, when the token is rotated.
    const oldToken = TOKEN;
    assert.equal((await call(api.port, '/api/token', { method: 'POST', body: '{}' })).status, 200);
    TOKEN = (await readFile(join(dir, 'node', 'api-token'), 'utf8')).trim();
    assert.notEqual(TOKEN, oldToken);
    assert.equal((await call(api.port, '/api/status', { token: oldToken })).status, 401);
    assert.equal((await call(api.port, '/api/status', { token: session })).status, 401);
    assert.equal((await call(api.port, '/api/status')).status, 200);
    assert.equal((await ApiAccess.open(join(dir, 'node'))).authorizes(session), false);
  });

  it('drops an unused link after an hour', async () => {
    const code = access.linkCode(0);
    assert.equal(await access.redeem(code, 60 * 60_000 + 1), null);
    const fresh = access.linkCode(0);
    assert.notEqual(await access.redeem(fresh, 60 * 60_000 - 1), null);
  });

  it('refuses requests for another host name (DNS rebinding)', async () => {
    assert.equal((await call(api.port, '/api/status', { host: 'evil.example:80' })).status, 421);
    assert.equal((await call(api.port, '/', { host: `attacker.test:${api.port}` })).status, 421);
  });

  it('serves the UI without the token, with a strict CSP, and nothing outside its folder', async () => {
    const page = await call(api.port, '/', { token: null });
    assert.equal(page.status, 200);
    assert.equal(page.body, '<h1>app</h1>');
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    const escape = await call(api.port, '/../../../etc/passwd', { token: null });
    assert.equal(escape.body, '<h1>app</h1>');
    const encoded = await call(api.port, '/%2e%2e/%2e%2e/package.json', { token: null });
    assert.equal(encoded.body, '<h1>app</h1>');
    const malformed = await call(api.port, '/%E0%A4%A', { token: null });
    assert.equal(malformed.status, 400);
  });

  it("lists the laptop's groups; a call in a group it is not in is refused as not found", async () => {
    const groups = await call(api.port, '/api/groups');
    assert.equal(groups.status, 200);
    assert.deepEqual(JSON.parse(groups.body), []);
    const elsewhere = await call(api.port, '/api/groups/0123456789abcdef/questions');
    assert.equal(elsewhere.status, 404);
    assert.match(elsewhere.body, /this laptop is in no group 0123456789abcdef/);
    const events = await call(api.port, '/api/groups/0123456789abcdef/events');
    assert.equal(events.status, 404);
    assert.equal(
      (await call(api.port, '/api/groups/0123456789abcdef/questions', { token: null })).status,
      401,
    );
  });

  it('answers bad requests with clear errors', async () => {
    const notJson = await call(api.port, '/api/group', { method: 'POST', body: '{oops' });
    assert.deepEqual(
      [notJson.status, JSON.parse(notJson.body).error.message],
      [400, 'the request body is not JSON'],
    );
    const invalid = await call(api.port, '/api/group', {
      method: 'POST',
      body: JSON.stringify({ groupName: '', displayName: 'A' }),
    });
    assert.equal(invalid.status, 400);
    assert.match(JSON.parse(invalid.body).error.message, /group name must not be empty/);
    const huge = await call(api.port, '/api/group', { method: 'POST', body: 'x'.repeat(70_000) });
    assert.equal(huge.status, 413);
    const noGroup = await call(api.port, '/api/invite');
    assert.equal(noGroup.status, 409);
    assert.equal((await call(api.port, '/api/nothing')).status, 404);
  });
});

/** Only the subscription matters to the event streams: the test plays the node and emits. */
function eventSource() {
  const listeners = new Set<(event: SynodEvent) => void>();
  const api = {
    subscribe(listener: (event: SynodEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as SynodApi;
  return { api, listeners, emit: (event: SynodEvent) => listeners.forEach((l) => l(event)) };
}

/** Opens an event stream over a bare socket; resolves with the status line. */
function openStream(port: number, token: string, read: boolean): Promise<{ socket: Socket; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (match === null) return;
      if (!read) {
        socket.off('data', onData);
        socket.pause();
      }
      resolve({ socket, status: Number(match[1]) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
  });
}

describe('local HTTP API event streams', () => {
  let dir: string;
  let api: RunningHttpApi;
  let token: string;
  const source = eventSource();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synod-events-'));
    const access = await ApiAccess.open(dir);
    token = (await readFile(join(dir, 'api-token'), 'utf8')).trim();
    api = await startHttpApi({ api: source.api, access, port: 0, log: silentLogger });
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps at most ${MAX_EVENT_STREAMS} streams open, and frees a place when one closes`, async () => {
    const streams = [];
    for (let i = 0; i < MAX_EVENT_STREAMS + 6; i++) streams.push(await openStream(api.port, token, true));
    const statuses = streams.map((s) => s.status);
    assert.equal(statuses.filter((s) => s === 200).length, MAX_EVENT_STREAMS);
    assert.equal(statuses.filter((s) => s === 503).length, 6);
    assert.equal(source.listeners.size, MAX_EVENT_STREAMS);
    for (const stream of streams) stream.socket.destroy();
    while (source.listeners.size > 0) await new Promise((r) => setTimeout(r, 10));
    const next = await openStream(api.port, token, true);
    assert.equal(next.status, 200);
    next.socket.destroy();
  });

  it('drops readers that do not read, so they cannot make the daemon hold their events', async () => {
    const readers = 8;
    const streams = [];
    for (let i = 0; i < readers; i++) streams.push(await openStream(api.port, token, false));
    assert.equal(source.listeners.size, readers);
    const rssBefore = process.memoryUsage().rss;
    // 32 MB of events for each reader: 256 MB held if nobody were dropped.
    const peers = Array.from({ length: 64 }, (_, i) => ({
      peerId: `peer-${i}`,
      displayName: 'x'.repeat(200),
      online: true,
      lastSeen: 0,
    }));
    const event = { type: 'peers', peers } as unknown as SynodEvent;
    const size = JSON.stringify(event).length;
    let emitted = 0;
    for (let i = 0; i < (32 * 1024 * 1024) / size && source.listeners.size > 0; i++) {
      source.emit(event);
      emitted++;
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    console.log(
      `  ${readers} readers that never read; ${emitted} events of ${size} bytes emitted before all were dropped; RSS grew ${(rssGrowth / 1e6).toFixed(1)} MB`,
    );
    assert.equal(source.listeners.size, 0, 'every non-reading stream is dropped');
    assert.ok(rssGrowth < 64e6, `memory stays bounded (grew ${rssGrowth} bytes)`);
    for (const stream of streams) stream.socket.destroy();
  });
});
