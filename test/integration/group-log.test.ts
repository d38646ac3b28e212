import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GroupView } from '../../src/api/types.ts';
import { DaemonProcess, question, sleep, waitFor } from '../helpers/daemons.ts';
import { HostileMember } from '../helpers/hostile-member.ts';

/**
 * A group that keeps a group log, on real daemons: who belongs is what the group decided, one Paxos
 * slot per change, the same on every member; an identity the group never admitted is nobody.
 */
describe('the group log on real daemons', { timeout: 180_000 }, () => {
  let base = '';
  const daemons: DaemonProcess[] = [];
  let mallory: HostileMember | null = null;
  const [n1, n2, n3] = ['n1', 'n2', 'n3'].map((name) => name);

  const daemon = (name: string): DaemonProcess => {
    const found = daemons.find((d) => d.name === name);
    assert.ok(found !== undefined);
    return found;
  };
  const groupOf = (name: string): Promise<GroupView> => daemon(name).client.group();

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'synod-group-log-'));
    for (const name of [n1, n2, n3, 'n4'] as string[])
      daemons.push(new DaemonProcess(name, join(base, name)));
    await Promise.all(daemons.map((d) => d.start()));
    await daemon('n1').client.createGroup({ groupName: 'Chess club', displayName: 'Alice' });
    // One invite for both: the same text each time it is asked for, for a day.
    for (const [name, person] of [
      ['n2', 'Bob'],
      ['n3', 'Carol'],
    ] as const) {
      const { invite } = await daemon('n1').client.invite();
      assert.match(invite, /^synod2:/);
      const joined = await daemon(name).client.joinGroup({ invite, displayName: person, waitMs: 15_000 });
      assert.equal(joined.problem, null, `${name}: ${joined.problem}`);
    }
  });

  after(async () => {
    await mallory?.stop();
    await Promise.all(daemons.map((d) => d.stop()));
    if (base !== '') await rm(base, { recursive: true, force: true });
  });

  it('every member holds the same epochs: founded, invited, joined; GET /api/group shows them', async () => {
    await waitFor(
      async () => (await Promise.all(['n1', 'n2', 'n3'].map(groupOf))).every((g) => g.epoch === 3),
      15_000,
      'every member to hold epoch 3',
    );
    const views = await Promise.all(['n1', 'n2', 'n3'].map(groupOf));
    for (const view of views) {
      assert.deepEqual(view.members, views[0]?.members);
      assert.deepEqual(view.history, views[0]?.history);
    }
    const view = views[0] as GroupView;
    assert.deepEqual(
      view.members.map((m) => m.name),
      ['Alice', 'Bob', 'Carol'],
    );
    assert.deepEqual(
      view.history.map((h) => h.change),
      ['join', 'join', 'invite', 'founded'],
    );
    assert.equal(view.invites.length, 1, 'one invite, open for the day');
    assert.deepEqual(
      view.invites[0]?.usedBy,
      view.members.slice(1).map((m) => m.peerId),
      'it lists who used it',
    );
    assert.equal((await daemon('n1').client.invite()).invite, (await daemon('n1').client.invite()).invite);
    assert.equal((await daemon('n2').client.status()).group?.id, view.id);
  });

  it('a rename by any member is made by the group, on every member', async () => {
    const renamed = await daemon('n2').client.renameGroup({ name: 'Chess & Go club' });
    assert.equal(renamed.epoch, 4);
    await waitFor(
      async () =>
        (await Promise.all(['n1', 'n3'].map(groupOf))).every(
          (g) => g.name === 'Chess & Go club' && g.epoch === 4,
        ),
      10_000,
      'the rename to reach every member',
    );
    assert.equal((await daemon('n3').client.status()).group?.name, 'Chess & Go club');
  });

  it('a single-use invite admits one laptop: used again, it lets nobody in', async () => {
    const { invite } = await daemon('n1').client.invite({ singleUse: true });
    const fifth = new DaemonProcess('n5', join(base, 'n5'));
    daemons.push(fifth);
    await fifth.start();
    const first = await daemon('n4').client.joinGroup({ invite, displayName: 'Dave', waitMs: 15_000 });
    assert.equal(first.problem, null, String(first.problem));
    const again = await fifth.client.joinGroup({ invite, displayName: 'Eve', waitMs: 3_000 });
    assert.ok(again.problem !== null, 'not let in');
    assert.match(again.problem, /not let this laptop in|reached no member/);
    const view = await groupOf('n1');
    assert.ok(!view.members.some((m) => m.name === 'Eve'));
    assert.ok(!(await daemon('n1').client.peers()).some((p) => p.name === 'Eve'), 'not shown as a member');
  });

  it('identities made up with the group key are nobody: not shown, not voters, their votes count nowhere', async () => {
    mallory = await HostileMember.of(daemon('n1').dataDir);
    for (const name of ['n1', 'n2', 'n3'])
      await mallory.connect((await daemon(name).client.status()).addresses[0] ?? '');
    await sleep(1_000);
    for (const name of ['n1', 'n2', 'n3'])
      assert.ok(
        !(await daemon(name).client.peers()).some((p) => p.peerId === mallory?.peerId),
        `${name} does not list her`,
      );
    const q = await daemon('n1').client.createQuestion({
      title: 'Which opening?',
      options: ['Sicilian', 'French'],
      rule: 'vote',
      deadline: Date.now() + 60_000,
    });
    assert.ok(!q.acceptors.some((a) => a.peerId === mallory?.peerId), 'she holds no seat');
    assert.equal(
      mallory.received.filter((r) => r.message.type === 'question').length,
      0,
      'she is told no question',
    );
    for (const name of ['n2', 'n3'])
      await waitFor(
        async () => (await question(daemon(name).client, q.id)) !== undefined,
        10_000,
        `${name} to hold the question`,
      );
    await daemon('n2').client.vote({ questionId: q.id, option: 'Sicilian' });
    const vote = mallory.checks.signVote({
      question: q.id,
      by: mallory.peerId,
      option: 'French',
      amount: null,
      seq: Date.now(),
    });
    for (const name of ['n1', 'n2', 'n3'])
      mallory.send((await daemon(name).client.status()).peerId, { type: 'votes', votes: [vote] });
    await sleep(1_000);
    for (const name of ['n1', 'n2', 'n3'])
      assert.equal(
        (await question(daemon(name).client, q.id))?.tally?.counted ?? 0,
        1,
        `${name} counts Bob only`,
      );
  });

  it('a member away for three epochs catches up when it comes back, and decides in the fourth', async () => {
    const carol = daemon('n3');
    await carol.stop();
    for (const name of ['One', 'Two', 'Three']) await daemon('n1').client.renameGroup({ name });
    const epoch = (await groupOf('n1')).epoch ?? 0;
    await carol.start();
    await waitFor(async () => (await groupOf('n3')).epoch === epoch, 15_000, 'Carol to catch up');
    assert.equal((await groupOf('n3')).name, 'Three');
    const fourth = await carol.client.renameGroup({ name: 'Four' });
    assert.equal(fourth.epoch, epoch + 1);
    await waitFor(async () => (await groupOf('n1')).name === 'Four', 10_000, 'the fourth everywhere');
  });

  it('a revoked invite admits nobody; a member that leaves is no member anywhere, and takes no more part', async () => {
    const { invite } = await daemon('n1').client.invite();
    const open = (await groupOf('n1')).invites.filter((i) => !i.singleUse);
    assert.equal(open.length, 1);
    // Any member may end it, not only its maker.
    const revoked = await daemon('n2').client.revokeInvite({ invite: open[0]?.id ?? '' });
    assert.deepEqual(revoked.invites, []);
    await waitFor(async () => (await groupOf('n1')).invites.length === 0, 10_000, 'n1 to learn of it');
    assert.notEqual((await daemon('n1').client.invite()).invite, invite, 'a new one is made');
    const sixth = new DaemonProcess('n6', join(base, 'n6'));
    daemons.push(sixth);
    await sixth.start();
    const refused = await sixth.client.joinGroup({ invite, displayName: 'Frank', waitMs: 3_000 });
    assert.ok(refused.problem !== null, 'not let in');
    assert.ok(!(await groupOf('n1')).members.some((m) => m.name === 'Frank'));

    const left = await daemon('n4').client.leaveGroup();
    assert.ok(!left.members.some((m) => m.name === 'Dave'));
    await waitFor(
      async () =>
        (await Promise.all(['n1', 'n2', 'n3'].map(groupOf))).every(
          (g) => !g.members.some((m) => m.name === 'Dave'),
        ),
      10_000,
      'every member to see Dave gone',
    );
    const daveId = (await daemon('n4').client.status()).peerId;
    await waitFor(
      async () => !(await daemon('n1').client.peers()).some((p) => p.peerId === daveId),
      10_000,
      'Dave to be no member on n1',
    );
    assert.equal((await groupOf('n2')).history[0]?.change, 'leave');
    await assert.rejects(
      daemon('n4').client.createQuestion({ title: 'Still here?', options: ['Yes'], confirmAlone: true }),
      /left the group/,
    );
    // Dave's laptop stops connecting (it would only be an applicant, answered for ever), after a
    // restart too; it keeps what it knew.
    await waitFor(
      async () =>
        (await daemon('n4').client.peers()).every((p) => !p.online) &&
        (await daemon('n4').client.status()).addresses.length === 0,
      10_000,
      "Dave's laptop to leave the network",
    );
    await daemon('n4').stop();
    await daemon('n4').start();
    await sleep(2_000);
    assert.ok(
      (await daemon('n4').client.peers()).every((p) => !p.online),
      'offline after a restart',
    );
    assert.equal((await groupOf('n4')).self, 'left');
  });

  it('a removal needs a majority of the other members: asked alone it changes nothing; approved, the member is out and told', async () => {
    const ids = Object.fromEntries(
      await Promise.all(
        ['n1', 'n2', 'n3'].map(async (name) => [name, (await daemon(name).client.status()).peerId] as const),
      ),
    );
    // Carol alone asks to remove Alice: one of the two others' approvals is not a majority.
    const asked = await daemon('n3').client.requestRemoval({ member: ids.n1 ?? '' });
    assert.equal(asked.removals.length, 1);
    await waitFor(
      async () => (await groupOf('n2')).removals.length === 1,
      10_000,
      'the request to reach Bob',
    );
    await sleep(1_500);
    assert.ok(
      (await groupOf('n1')).members.some((m) => m.peerId === ids.n1),
      'Alice stays',
    );
    await assert.rejects(
      daemon('n3').client.approveRemoval({ member: ids.n1 ?? '' }),
      /nobody has asked|not-found/,
      'her own request needs no approval of hers',
    );

    // Alice asks to remove Carol, Bob approves: made by the group, though Carol is online and an acceptor.
    await daemon('n1').client.requestRemoval({ member: ids.n3 ?? '' });
    await waitFor(
      async () => (await groupOf('n2')).removals.some((r) => r.target === ids.n3),
      10_000,
      'the request to reach Bob',
    );
    await daemon('n2').client.approveRemoval({ member: ids.n3 ?? '' });
    await waitFor(
      async () =>
        (await Promise.all(['n1', 'n2'].map(groupOf))).every(
          (g) => !g.members.some((m) => m.peerId === ids.n3),
        ),
      10_000,
      'Carol to be removed',
    );
    assert.equal((await groupOf('n1')).history[0]?.change, 'remove');
    assert.deepEqual((await groupOf('n1')).removals, [], "Carol's own request went with her");
    await waitFor(async () => (await groupOf('n3')).self === 'removed', 10_000, 'Carol to be told');
    await assert.rejects(
      daemon('n3').client.createQuestion({ title: 'Still in?', options: ['Yes'], confirmAlone: true }),
      /removed this laptop/,
    );
    await waitFor(
      async () => !(await daemon('n1').client.peers()).some((p) => p.peerId === ids.n3),
      10_000,
      'Carol to be no member on n1',
    );
  });
});
