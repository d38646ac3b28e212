import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SynodError } from '../../src/api/types.ts';
import { SynodNode } from '../../src/node/synod-node.ts';

/**
 * A node whose disk fills up: the question catalog cannot be written, so asking fails with a clear
 * error, the node stops voting and says why, and after space is freed and it restarts nothing it
 * acknowledged is lost. Runs on a real full filesystem: a 1 MiB tmpfs, which needs root to mount.
 */
describe('a node on a full disk', () => {
  let mountPoint: string | null = null;
  let skip: string | null = null;

  before(async () => {
    if (process.getuid?.() !== 0) {
      skip = 'needs root to mount a small tmpfs that can be filled';
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'synod-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
      mountPoint = dir;
    } catch (error) {
      skip = `cannot mount a tmpfs here (${String(error).split('\n')[0]})`;
      await rm(dir, { recursive: true, force: true });
    }
  });

  after(async () => {
    if (mountPoint === null) return;
    execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('refuses to ask, stops voting, says the disk is full, and loses nothing', async (t) => {
    if (skip !== null || mountPoint === null) return t.skip(skip ?? 'no tmpfs');
    const dataDir = join(mountPoint, 'node');
    const node = await SynodNode.start({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
    const filler = join(mountPoint, 'filler');
    let kept: string;
    const bobDir = await mkdtemp(join(tmpdir(), 'synod-full-bob-'));
    const bob = await SynodNode.start({ dataDir: bobDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
    try {
      await node.createGroup({ groupName: 'Full disk', displayName: 'Ann' });
      kept = (
        await node.createQuestion({ title: 'Before the disk filled up', options: [], confirmAlone: true })
      ).id;
      // Bob joins while there is room (the group log writes his join on Ann's disk).
      const joined = await bob.joinGroup({ invite: (await node.invite()).invite, displayName: 'Bob' });
      assert.equal(joined.admitted, true);
      await fill(filler);
      // Large enough not to fit in the slack of pages the catalog already has (tmpfs counts pages).
      const options = Array.from({ length: 20 }, (_, i) => `${i} ${'x'.repeat(190)}`);
      await assert.rejects(
        node.createQuestion({ title: 'After', options, confirmAlone: true }),
        (error: unknown) =>
          error instanceof SynodError &&
          error.code === 'storage-refused' &&
          /questions\.log/.test(error.message) &&
          /full/i.test(error.message),
      );
      const status = await node.status();
      assert.match(status.storageError ?? '', /questions\.log/);
      assert.match(status.storageError ?? '', /full/i);
      // Not voting any more: a proposal is refused with the same reason, and so is any change of the
      // group (an invite, a rename), at once rather than never answered.
      await assert.rejects(node.propose({ questionId: kept, option: 'x' }), /questions\.log/);
      for (const change of [() => node.invite({ singleUse: true }), () => node.renameGroup({ name: 'X' })])
        await assert.rejects(
          change(),
          (error: unknown) => error instanceof SynodError && error.code === 'storage-refused',
        );
      // A small file on the full disk: refused with the reason, and the old file stays whole. (The
      // address is a member's that answers: an address where nobody does is not written at all.)
      await assert.rejects(
        node.addPeer({ address: (await bob.status()).addresses[0] ?? '' }),
        (error: unknown) => error instanceof SynodError && /group settings.*full/s.test(error.message),
      );
      assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'group.json'), 'utf8')).staticPeers, []);
    } finally {
      await node.stop().catch(() => undefined);
      await bob.stop();
      await rm(bobDir, { recursive: true, force: true });
    }
    await rm(filler);
    const restarted = await SynodNode.start({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
    try {
      assert.equal((await restarted.status()).storageError, null);
      assert.deepEqual(
        (await restarted.questions()).map((q) => q.title),
        ['Before the disk filled up'],
        'what was acknowledged is there; what failed is not',
      );
      const result = await restarted.propose({ questionId: kept, option: 'Yes', waitMs: 5_000 });
      assert.equal(result.state, 'decided');
    } finally {
      await restarted.stop();
    }
  });
});

/** Writes to `path` until the filesystem says it is full. */
async function fill(path: string): Promise<void> {
  const file = await open(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) await file.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await file.close();
  }
}
