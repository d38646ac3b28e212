import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The README's "Three nodes on one machine" block, exactly as a newcomer would paste it. */
async function readmeBlock(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Three nodes on one machine'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(match?.[1], 'the README has the block');
  return match[1];
}

describe("the README's three nodes on one machine", { timeout: 180_000 }, () => {
  let base = '';
  let pid: number | undefined;
  after(async () => {
    // The daemons the block started in the background share its process group.
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (base !== '') await rm(base, { recursive: true, force: true });
  });

  it('works when pasted whole: three daemons, a group, a question decided everywhere', async () => {
    base = await mkdtemp(join(tmpdir(), 'synod-readme-'));
    // Only the place changes: the block's /tmp/synod-a… become directories of this test.
    const script = (await readmeBlock()).replaceAll('/tmp/synod-', `${base}/synod-`);
    assert.match(script, /--no-mdns/, 'no multicast outside a namespace');
    const child = spawn('bash', ['-e', '-c', script], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pid = child.pid;
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 120_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    assert.equal(code, 0, `the block ran to its end:\n${output}`);
    assert.match(output, /joined the group "Test" as B; connected to A/);
    assert.match(output, /joined the group "Test" as C; connected to /);
    assert.match(output, /DECIDED: Pizza \(proposed by B\)/, `C shows the outcome:\n${output}`);

    // The README's stop line, as written: it stops these three daemons.
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const stop = /Stop the three \(and no other Synod\) with\s+`([^`]+)`/.exec(readme)?.[1];
    assert.ok(stop !== undefined, 'the README says how to stop them');
    const pids = await Promise.all(
      ['a', 'b', 'c'].map(async (n) => Number((await readFile(`${base}/synod-${n}.pid`, 'utf8')).trim())),
    );
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(pids.every(alive), 'the daemons run until stopped');
    const stopped = spawn('bash', ['-e', '-c', stop.replaceAll('/tmp/synod-', `${base}/synod-`)], {
      cwd: ROOT,
    });
    assert.equal(await new Promise((resolve) => stopped.on('exit', resolve)), 0);
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(!pids.some(alive), 'the stop line stops them');
  });
});
