import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GroupView } from '../../src/api/types.ts';
import { DaemonProcess, waitFor } from '../helpers/daemons.ts';

/**
 * A member removed while its laptop is off: the others decide without it (a majority of the log's
 * acceptors), and it is told when it comes back. Its identity with an invite made before the removal,
 * on a fresh daemon, is let in by nobody.
 */
describe('a member removed while its laptop is off', { timeout: 180_000 }, () => {
  let base = '';
  const daemons: DaemonProcess[] = [];
  const ids: string[] = [];
  let invite = '';

  const d = (i: number): DaemonProcess => daemons[i] as DaemonProcess;
  const groupOf = (i: number): Promise<GroupView> => d(i).client.group();

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'synod-removal-'));
    for (const name of ['n1', 'n2', 'n3', 'n4']) daemons.push(new DaemonProcess(name, join(base, name)));
    await Promise.all(daemons.map((x) => x.start()));
    await d(0).client.createGroup({ groupName: 'Allotment', displayName: 'Alice' });
    invite = (await d(0).client.invite()).invite;
    for (const [i, name] of [
      [1, 'Bob'],
      [2, 'Carol'],
      [3, 'Dave'],
    ] as const) {
      const joined = await d(i).client.joinGroup({ invite, displayName: name, waitMs: 15_000 });
      assert.equal(joined.problem, null, `${name}: ${joined.problem}`);
    }
    for (const x of daemons) ids.push((await x.client.status()).peerId);
    await waitFor(
      async () => (await Promise.all([0, 1, 2, 3].map(groupOf))).every((g) => g.members.length === 4),
      15_000,
      'every member to hold the four',
    );
  });

  after(async () => {
    await Promise.all(daemons.map((x) => x.stop()));
    if (base !== '') await rm(base, { recursive: true, force: true });
  });

  it('is removed by the others and told on its return; its identity with an old invite is let in by nobody', async () => {
    await d(3).stop();
    await d(0).client.requestRemoval({ member: ids[3] ?? '' });
    await waitFor(
      async () => (await groupOf(1)).removals.some((r) => r.target === ids[3]),
      10_000,
      'the request to reach Bob',
    );
    await d(1).client.approveRemoval({ member: ids[3] ?? '' });
    await waitFor(
      async () =>
        (await Promise.all([0, 1, 2].map(groupOf))).every((g) => !g.members.some((m) => m.peerId === ids[3])),
      10_000,
      'Dave to be removed by the three others',
    );

    await d(3).start();
    await waitFor(async () => (await groupOf(3)).self === 'removed', 20_000, 'Dave to be told on his return');
    await assert.rejects(
      d(3).client.createQuestion({ title: 'Anyone?', options: ['Yes'], confirmAlone: true }),
      /removed this laptop/,
    );
    await d(3).stop();

    // Dave's laptop as a fresh daemon, with the invite he joined with (made before his removal).
    const again = new DaemonProcess('n5', join(base, 'n5'));
    await mkdir(again.dataDir, { recursive: true, mode: 0o700 });
    // Its identity and its acceptor state (a node that has voted keeps its state), not its group.
    for (const file of ['identity.key', 'state.log'])
      await copyFile(join(d(3).dataDir, file), join(again.dataDir, file));
    daemons.push(again);
    await again.start();
    assert.equal((await again.client.status()).peerId, ids[3]);
    const refused = await again.client.joinGroup({ invite, displayName: 'Dave', waitMs: 3_000 });
    assert.ok(refused.problem !== null, 'not let in');
    assert.ok(!(await groupOf(0)).members.some((m) => m.peerId === ids[3]));
    assert.ok(!(await d(0).client.peers()).some((p) => p.peerId === ids[3]), 'not shown as a member');
  });
});
