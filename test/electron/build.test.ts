/**
 * Electron's binary cannot be downloaded on these machines, so the shell itself is not run here.
 * What can be checked is checked: the compiled tree Electron would load exists, its preload is a
 * plain script, and the compiled node (the same code as the daemon's) starts and answers from it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const out = new URL('../../out/', import.meta.url).pathname;
const built = existsSync(join(out, 'electron', 'main.js'));
if (!built) console.log('SKIPPED the Electron build check: run "npm run build" first (npm test does)');

describe('the Electron build', { skip: built ? false : 'not built' }, () => {
  it('main and preload are compiled; the preload is a plain CommonJS script', async () => {
    const main = await readFile(join(out, 'electron', 'main.js'), 'utf8');
    assert.match(main, /from "\.\.\/src\/node\/synod-node\.js"/, 'relative imports were rewritten to .js');
    for (const setting of [
      /contextIsolation: true/,
      /sandbox: true/,
      /nodeIntegration: false/,
      /setWindowOpenHandler/,
      /will-navigate/,
      // Invite links (web+synod:…) open the app, and reach the page only as an event it may offer.
      /setAsDefaultProtocolClient\(INVITE_LINK_SCHEME\)/,
      /type: 'open-invite'/,
    ]) {
      assert.match(main, setting);
    }
    const preload = await readFile(join(out, 'electron', 'preload.cjs'), 'utf8');
    assert.doesNotMatch(preload, /^\s*import /m);
    assert.match(preload, /contextBridge\.exposeInMainWorld\('synod'/);
  });

  it('the compiled node starts from the built JavaScript and keeps its identity in the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synod-built-'));
    try {
      const script = `
        const { SynodNode } = await import(${JSON.stringify(join(out, 'src', 'node', 'synod-node.js'))});
        const node = await SynodNode.start({ dataDir: ${JSON.stringify(dir)}, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
        const s = await node.createGroup({ groupName: 'Built', displayName: 'Ann' });
        console.log(JSON.stringify({ peerId: s.peerId, group: s.group.name }));
        await node.stop();`;
      const run = () =>
        spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          encoding: 'utf8',
          timeout: 30_000,
        });
      const first = run();
      assert.equal(first.status, 0, first.stderr);
      const { peerId, group } = JSON.parse(first.stdout.trim().split('\n').at(-1) ?? '{}') as {
        peerId: string;
        group: string;
      };
      assert.equal(group, 'Built');
      assert.ok((await readFile(join(dir, 'identity.key'))).length > 0);
      assert.match(peerId, /^12D3KooW/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
