/**
 * One process owns a data directory, and a node refuses what it cannot trust: a second daemon on the
 * same directory, a lost identity, state files it cannot open. The CLI tells apart why it cannot reach
 * a daemon, and a daemon started through an older Node does not outlive its parent.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { SynodError } from '../../src/api/types.ts';
import {
  acquireDataDirLock,
  DataDirLockedError,
  LOCK_FILE,
  lockOwnerOf,
} from '../../src/node/durable/data-dir-lock.ts';
import { SynodNode } from '../../src/node/synod-node.ts';
import { DaemonProcess, sleep, waitFor } from '../helpers/daemons.ts';

const BIN = new URL('../../bin/synod.js', import.meta.url).pathname;
const dirs: string[] = [];
const daemons: DaemonProcess[] = [];
after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'synod-own-'));
  dirs.push(dir);
  return join(dir, 'node');
}

const startNode = (dataDir: string) =>
  SynodNode.start({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });

/** A pid that belonged to a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

/** A lock as a daemon that has since died left it. */
async function writeStaleLock(dir: string): Promise<void> {
  const stale = {
    pid: deadPid(),
    kind: 'daemon',
    startedAt: 1,
    bootId: null,
    processStart: null,
    token: 's',
  };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(stale));
}

function synod(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('one process owns a data directory', () => {
  it('a second node on the same directory is refused, naming the first; after it stops, the second starts', async () => {
    const dir = await freshDir();
    const first = await startNode(dir);
    try {
      await assert.rejects(startNode(dir), (error: unknown) => {
        assert.ok(error instanceof DataDirLockedError);
        assert.match(
          error.message,
          new RegExp(`the daemon, pid ${process.pid}.*${dir}.*synod status --data-dir`, 's'),
        );
        return true;
      });
      assert.equal((await first.status()).storageError, null, 'the first one is unaffected');
    } finally {
      await first.stop();
    }
    const second = await startNode(dir);
    await second.stop();
  });

  it('a lock left by a process that died is taken over', async () => {
    const dir = await freshDir();
    await mkdir(dir, { recursive: true });
    await writeStaleLock(dir);
    assert.equal((await lockOwnerOf(dir))?.alive, false);
    const node = await startNode(dir);
    try {
      assert.equal((await lockOwnerOf(dir))?.owner.pid, process.pid);
    } finally {
      await node.stop();
    }
    assert.equal(await lockOwnerOf(dir), null, 'released on stop');
  });

  it('a pid reused by another process (same pid, other start time) is no owner', async () => {
    const dir = await freshDir();
    await mkdir(dir, { recursive: true });
    const reused = {
      pid: process.pid,
      kind: 'daemon',
      startedAt: 1,
      bootId: null,
      processStart: '1',
      token: 'x',
    };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(reused));
    const lock = await acquireDataDirLock(dir, 'daemon');
    await lock.release();
  });

  it('many processes taking over one stale lock at once: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = await freshDir();
      await mkdir(dir, { recursive: true });
      await writeStaleLock(dir);
      // Separate processes, as in life: each tries to take the directory.
      const script =
        `import { acquireDataDirLock } from ${JSON.stringify(new URL('../../src/node/durable/data-dir-lock.ts', import.meta.url).href)};` +
        `try { await acquireDataDirLock(${JSON.stringify(dir)}, 'daemon'); console.log('won'); await new Promise((r) => setTimeout(r, 1500)); }` +
        `catch (e) { console.log(e.name); }`;
      const results = await Promise.all(
        Array.from(
          { length: 4 },
          () =>
            new Promise<string>((resolve) => {
              const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
                stdio: ['ignore', 'pipe', 'inherit'],
              });
              let out = '';
              child.stdout.on('data', (d: Buffer) => (out += d.toString()));
              child.on('exit', () => resolve(out.trim()));
            }),
        ),
      );
      assert.equal(results.filter((r) => r === 'won').length, 1, `round ${round}: ${results.join(', ')}`);
      assert.equal(results.filter((r) => r === 'DataDirLockedError').length, 3);
    }
  });

  it('processes that all judged an unreadable lock stale take it over one after another: exactly one wins', async () => {
    // A lock left empty by a crash between creating and writing it, or cut short mid-write.
    for (const content of ['', '{"pid":']) {
      const dir = await freshDir();
      await mkdir(dir, { recursive: true });
      const lockPath = join(dir, LOCK_FILE);
      await writeFile(lockPath, content);
      const old = Date.now() / 1000 - 60;
      await utimes(lockPath, old, old);
      // Test hook in each process: its first takeover waits for a line on stdin, so the test can let every
      // process judge the lock stale before any takes it over, then let them go one by one. A bare race
      // hits this order only now and then.
      const script =
        `import fsp from 'node:fs/promises'; import { syncBuiltinESMExports } from 'node:module';` +
        `import { createInterface } from 'node:readline';` +
        `const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();` +
        `const mkdir = fsp.mkdir; let held = false;` +
        `fsp.mkdir = async (path, ...rest) => {` +
        `  if (String(path).endsWith('.takeover') && !held) { held = true; console.log('judged'); await lines.next(); }` +
        `  return mkdir(path, ...rest); };` +
        `syncBuiltinESMExports();` +
        `const { acquireDataDirLock } = await import(${JSON.stringify(new URL('../../src/node/durable/data-dir-lock.ts', import.meta.url).href)});` +
        `try { await acquireDataDirLock(${JSON.stringify(dir)}, 'daemon'); console.log('won'); } catch (e) { console.log(e.name); }` +
        `await lines.next();`; // a winner holds the directory until the test ends
      const children = Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
        const next = async () => ((await lines.next()).value as string | undefined) ?? 'exited';
        return { child, next, exited: new Promise((resolve) => child.on('exit', resolve)) };
      });
      try {
        assert.deepEqual(await Promise.all(children.map((c) => c.next())), Array(4).fill('judged'));
        const results: string[] = [];
        for (const c of children) {
          c.child.stdin.write('\n');
          results.push(await c.next());
        }
        assert.equal(
          results.filter((r) => r === 'won').length,
          1,
          `lock ${JSON.stringify(content)}: ${results.join(', ')}`,
        );
        assert.equal(results.filter((r) => r === 'DataDirLockedError').length, 3);
        const winner = children[results.indexOf('won')]?.child.pid;
        assert.deepEqual(await lockOwnerOf(dir).then((o) => [o?.owner.pid, o?.alive]), [winner, true]);
      } finally {
        for (const c of children) c.child.stdin.end();
        await Promise.all(children.map((c) => c.exited));
      }
    }
  });

  it('a second daemon process exits with a message that names the running one and how to reach it', async () => {
    const dir = await freshDir();
    const first = new DaemonProcess('first', dir);
    daemons.push(first);
    await first.start();
    const second = spawnSync(
      process.execPath,
      [BIN, 'daemon', '--data-dir', dir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(second.status, 1);
    assert.match(
      second.stderr,
      new RegExp(`the daemon, pid ${first.process?.pid}.*synod status --data-dir ${dir}`, 's'),
    );
    assert.equal((await first.client.status()).storageError, null);
    await first.stop();
  });
});

describe('the CLI says why it cannot reach a daemon', () => {
  it('a file it cannot read is named with its error, not taken for a directory no daemon used', async () => {
    const dir = await freshDir();
    // A directory where api.json belongs: reading it fails (EISDIR), as an I/O error would.
    await mkdir(join(dir, 'api.json'), { recursive: true });
    const result = synod(dir, 'status');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot read the data directory .*api\.json: .*EISDIR/);
    assert.doesNotMatch(result.stderr, /no Synod daemon has run/);
  });

  it('no daemon ever ran here; one runs but its API files are missing; the one that ran here is gone', async () => {
    const dir = await freshDir();
    const never = synod(dir, 'status');
    assert.equal(never.status, 1);
    assert.match(never.stderr, /no Synod daemon has run with the data directory .*synod daemon --data-dir/);

    const d = new DaemonProcess('d', dir);
    daemons.push(d);
    await d.start();
    assert.equal(synod(dir, 'status').status, 0);
    const crashedPid = d.process?.pid;
    await d.kill9();
    const gone = synod(dir, 'status');
    assert.equal(gone.status, 1);
    assert.match(
      gone.stderr,
      new RegExp(`the Synod daemon that ran .* \\(pid ${crashedPid}\\) is gone: it stopped or crashed`),
    );

    await d.start(); // takes over the lock the crash left
    const pid = d.process?.pid;
    await unlink(join(dir, 'api.json'));
    const missing = synod(dir, 'status');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, new RegExp(`a Synod daemon \\(pid ${pid}\\) runs .*API files .*missing`));
    await d.stop();
  });
});

describe('a node refuses what it cannot trust, and says why', () => {
  it('identity.key missing while its state exists: refuses to start, says how to restore', async () => {
    const dir = await freshDir();
    const node = await startNode(dir);
    await node.stop();
    await rm(join(dir, 'identity.key'));
    await assert.rejects(
      startNode(dir),
      /identity\.key is missing, but .*state\.log.*Restore identity\.key from a backup/s,
    );
    // Nothing was created in its place.
    await assert.rejects(stat(join(dir, 'identity.key')), { code: 'ENOENT' });
  });

  it('a state file that cannot be opened: the node starts, does not vote, and says which file and why', async () => {
    const dir = await freshDir();
    const first = await startNode(dir);
    await first.createGroup({ groupName: 'G', displayName: 'Ann' });
    await first.stop();
    // Root can open any file whatever its mode; a directory in the file's place cannot be opened by anyone.
    await rm(join(dir, 'state.log'));
    await mkdir(join(dir, 'state.log'));
    const node = await startNode(dir);
    try {
      const status = await node.status();
      assert.match(
        status.storageError ?? '',
        /acceptor state .*state\.log.* cannot be opened: EISDIR.*ls -l/s,
      );
      await assert.rejects(
        node.createQuestion({ title: 'Q', options: [] }),
        (e: unknown) => e instanceof SynodError && e.code === 'storage-refused',
      );
    } finally {
      await node.stop();
    }
  });

  it('an immutable state file: the same (where the file system supports chattr +i)', async (t) => {
    const dir = await freshDir();
    const first = await startNode(dir);
    await first.stop();
    const file = join(dir, 'state.log');
    try {
      execFileSync('chattr', ['+i', file], { stdio: 'pipe' });
    } catch (error) {
      return t.skip(`chattr +i is not possible here (${String(error).split('\n')[0]})`);
    }
    try {
      const node = await startNode(dir);
      try {
        assert.match((await node.status()).storageError ?? '', /state\.log.* cannot be opened: EPERM/s);
      } finally {
        await node.stop();
      }
    } finally {
      execFileSync('chattr', ['-i', file]);
    }
  });

  it('files are 0600 and the directory 0700, also when they existed with wider modes', async () => {
    const dir = await freshDir();
    const d = new DaemonProcess('modes', dir);
    daemons.push(d);
    await d.start();
    await d.client.createGroup({ groupName: 'G', displayName: 'Ann' });
    await d.client.createQuestion({ title: 'Q', options: [], confirmAlone: true });
    await d.stop();
    await chmod(dir, 0o755);
    for (const name of await readdir(dir)) await chmod(join(dir, name), 0o644);
    await d.start();
    await sleep(1_500); // the member list is saved a moment after a change
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const files = await readdir(dir);
    for (const name of [
      'identity.key',
      'state.log',
      'questions.log',
      'group.json',
      'api-token',
      'api.json',
      LOCK_FILE,
    ]) {
      assert.ok(files.includes(name), `${name} exists`);
    }
    for (const name of files) {
      // Each file is rewritten or tightened at start; none stays readable by others.
      assert.equal((await stat(join(dir, name))).mode & 0o077, 0, `${name} is not readable by others`);
    }
    await d.stop();
  });

  it('a data directory shared by every user (sticky, world-writable, like /tmp) is refused, not changed', async () => {
    const dir = await freshDir();
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o1777);
    await assert.rejects(startNode(dir), /shared by every user/);
    assert.equal((await stat(dir)).mode & 0o7777, 0o1777);
  });
});

describe('a daemon started through an older Node', () => {
  it('does not outlive its parent killed with kill -9', async (t) => {
    const older = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
      try {
        const version = execFileSync(path, ['--version'], { encoding: 'utf8' })
          .trim()
          .slice(1)
          .split('.')
          .map(Number);
        return (version[0] ?? 0) < 22 || (version[0] === 22 && (version[1] ?? 0) < 18);
      } catch {
        return false;
      }
    });
    if (older === undefined)
      return t.skip('no Node older than 22.18 on this machine to start the daemon with');
    const dir = await freshDir();
    const parent = spawn(
      older,
      [BIN, 'daemon', '--data-dir', dir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'],
      {
        stdio: 'ignore',
      },
    );
    let childPid = 0;
    try {
      await waitFor(
        async () => {
          const info = JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { pid: number };
          childPid = info.pid;
          return childPid !== 0 && childPid !== parent.pid;
        },
        20_000,
        'the Node 22 child to start',
      );
      parent.kill('SIGKILL');
      await waitFor(() => !alive(childPid), 10_000, `the child ${childPid} to stop after its parent died`);
      assert.equal(await lockOwnerOf(dir), null, 'it stopped cleanly and released the data directory');
    } finally {
      parent.kill('SIGKILL');
      if (childPid !== 0 && alive(childPid)) process.kill(childPid, 'SIGKILL');
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
