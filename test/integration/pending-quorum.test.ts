import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonGroup, DaemonProcess, decidedOption, question, sleep, waitFor } from '../helpers/daemons.ts';

/**
 * Quorums are majorities of the acceptor set fixed when the question was asked, never of whoever is
 * reachable. With three of five acceptors offline, nobody can decide, not even a member that learned
 * the question only after they left; when one comes back, the question is decided.
 */
describe('a question whose acceptors are mostly offline', { timeout: 120_000 }, () => {
  let group: DaemonGroup;
  let late: DaemonProcess | null = null;
  before(async () => {
    group = await DaemonGroup.start(5);
  });
  after(async () => {
    await late?.stop();
    await group?.stop();
  });

  it('stays pending on every node until a majority of its acceptors is back', async () => {
    const [n1, n2, n3, n4, n5] = group.daemons;
    assert.ok(n1 && n2 && n3 && n4 && n5);
    const q = await n1.client.createQuestion({ title: 'Where do we meet?', options: ['Café', 'Park'] });
    assert.equal(q.acceptors.length, 5);
    assert.equal(q.quorum, 3);
    await waitFor(async () => (await question(n2.client, q.id)) !== undefined, 10_000, 'n2 to learn it');
    for (const d of [n3, n4, n5]) await d.stop();
    await waitFor(
      async () => (await n1.client.peers()).filter((p) => p.online).length === 1,
      10_000,
      'n1 to see three members gone',
    );

    // A newcomer learns the question now, from the two acceptors it can reach.
    const n6 = new DaemonProcess('n6', join(group.base, 'n6'));
    late = n6;
    await n6.start();
    await n6.client.joinGroup({ invite: (await n1.client.invite()).invite, displayName: 'n6' });
    await waitFor(async () => (await question(n6.client, q.id)) !== undefined, 15_000, 'n6 to learn it');

    const fromNewcomer = await n6.client.propose({ questionId: q.id, option: 'Park', waitMs: 2_000 });
    assert.equal(fromNewcomer.state, 'pending');
    const fromAcceptor = await n2.client.propose({ questionId: q.id, option: 'Café', waitMs: 2_000 });
    assert.equal(fromAcceptor.state, 'pending');
    await sleep(3_000);
    for (const d of [n1, n2, n6]) {
      const view = await question(d.client, q.id);
      assert.equal(view?.outcome, null, `${d.name} decided nothing with 2 of 5 acceptors`);
      assert.equal(view?.state, 'waiting-for-quorum', `${d.name} says it waits for a quorum`);
      assert.equal(view?.reachableAcceptors, 2);
    }

    // One acceptor back: 3 of 5, a majority. The pending proposals go on and decide.
    await n3.start();
    const decided = await decidedOption(n1.client, q.id, 30_000);
    assert.ok(['Café', 'Park'].includes(decided));
    for (const d of [n2, n3, n6]) assert.equal(await decidedOption(d.client, q.id, 30_000), decided);
  });
});
