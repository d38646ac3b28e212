import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHttpApi, type RunningHttpApi } from '../../src/daemon/http-api.ts';
import { SynodNode } from '../../src/node/synod-node.ts';
import { silentLogger } from '../../src/util/logger.ts';

const TOKEN = 'a'.repeat(64);

function call(
  port: number,
  path: string,
  options: { method?: string; host?: string; token?: string | null; body?: string } = {},
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.method ?? 'GET',
          headers: {
            host: options.host ?? `127.0.0.1:${port}`,
            ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? TOKEN}` }),
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
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synod-http-'));
    node = await SynodNode.start({
      dataDir: join(dir, 'node'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
    });
    await mkdir(join(dir, 'ui'));
    await writeFile(join(dir, 'ui', 'index.html'), '<h1>app</h1>');
    api = await startHttpApi({
      api: node,
      token: TOKEN,
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

  it('needs the token for the API', async () => {
    assert.equal((await call(api.port, '/api/status', { token: null })).status, 401);
    assert.equal((await call(api.port, '/api/status', { token: 'b'.repeat(64) })).status, 401);
    assert.equal((await call(api.port, '/api/status')).status, 200);
    assert.equal((await call(api.port, `/api/status?token=${TOKEN}`, { token: null })).status, 200);
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
