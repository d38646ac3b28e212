import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DaemonProcess } from '../helpers/daemons.ts';

/**
 * The browser's address of a node is its API port: chosen once per data directory and kept across
 * restarts and crashes, so that a page, its saved session and a bookmark keep working.
 */
describe('the API port of a data directory', () => {
  let base = '';
  after(() => rm(base, { recursive: true, force: true }));

  const portOf = async (d: DaemonProcess) =>
    (JSON.parse(await readFile(join(d.dataDir, 'api.json'), 'utf8')) as { port: number }).port;

  it('is chosen once and kept across a restart and a kill -9; a port taken meanwhile is given up', async () => {
    base = await mkdtemp(join(tmpdir(), 'synod-port-'));
    const d = new DaemonProcess('n1', join(base, 'n1'));
    await d.start();
    const first = await portOf(d);
    await d.stop();
    await d.start();
    assert.equal(await portOf(d), first, 'the same port after a clean restart');
    await d.kill9();
    await d.start();
    assert.equal(await portOf(d), first, 'the same port after kill -9');
    await d.stop();

    // Another program took the port while the node was down: the node starts on a new one, says so,
    // and keeps that one from then on.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(first, '127.0.0.1', resolve));
    try {
      d.output = '';
      await d.start();
      const second = await portOf(d);
      assert.notEqual(second, first);
      assert.match(d.output, /port this node used before is taken/);
      await d.stop();
      await d.start();
      assert.equal(await portOf(d), second);
    } finally {
      await d.stop();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
