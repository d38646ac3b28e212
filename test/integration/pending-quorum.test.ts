import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonGroup, DaemonProcess, decidedOption, question, sleep, waitFor } from '../helpers/daemons.ts';

/**
 * Quorums are majorities of the acceptor set fixed when the question was asked, never of whoever is
 * reachable. With three of five acceptors offline, nobody can decide, not even a member that learned
 * the question only after they left (the group, seven strong, still lets it in: four of its seven are
 * online); when one comes back, the question is decided.
 */
describe('a question whose acceptors are mostly offline', { timeout: 150_000 }, () => {
  let group: DaemonGroup;
  let late: DaemonProcess | null = null;
  before(async () => {
    group = await DaemonGroup.start(7, { extraArgs: (i) => (i === 0 ? ['--max-acceptors', '5'] : []) });
  });
  after(async () => {
    await late?.stop();
    await group?.stop();
  });

  it('stays pending on every node until a majority of its acceptors is back', async () => {
    const [n1] = group.daemons;
    assert.ok(n1);
    const q = await n1.client.createQuestion({ title: 'Where do we meet?', options: ['Café', 'Park'] });
    assert.equal(q.acceptors.length, 5);
    assert.equal(q.quorum, 3);
    const peerIds = await Promise.all(group.daemons.map(async (d) => (await d.client.status()).peerId));
    const isAcceptor = (d: DaemonProcess) =>
      q.acceptors.some((a) => a.peerId === peerIds[group.daemons.indexOf(d)]);
    // Three acceptors go, the asker stays: two acceptors and two other members remain online.
    const leaving = group.daemons.filter((d) => d !== n1 && isAcceptor(d)).slice(0, 3);
    const staying = group.daemons.filter((d) => !leaving.includes(d));
    const acceptorStaying = staying.find(isAcceptor);
    assert.ok(acceptorStaying);
    for (const d of staying)
      await waitFor(
        async () => (await question(d.client, q.id)) !== undefined,
        10_000,
        `${d.name} to learn it`,
      );
    for (const d of leaving) await d.stop();
    await waitFor(
      async () => (await n1.client.peers()).filter((p) => p.online).length === 3,
      10_000,
      'n1 to see three members gone',
    );

    // A newcomer learns the question now, from the two acceptors it can reach.
    const n8 = new DaemonProcess('n8', join(group.base, 'n8'));
    late = n8;
    await n8.start();
    await n8.client.joinGroup({ invite: (await n1.client.invite()).invite, displayName: 'n8' });
    await waitFor(async () => (await question(n8.client, q.id)) !== undefined, 15_000, 'n8 to learn it');

    const fromNewcomer = await n8.client.propose({ questionId: q.id, option: 'Park', waitMs: 2_000 });
    assert.equal(fromNewcomer.state, 'pending');
    const fromAcceptor = await acceptorStaying.client.propose({
      questionId: q.id,
      option: 'Café',
      waitMs: 2_000,
    });
    assert.equal(fromAcceptor.state, 'pending');
    await sleep(3_000);
    for (const d of [...staying, n8]) {
      const view = await question(d.client, q.id);
      assert.equal(view?.outcome, null, `${d.name} decided nothing with 2 of 5 acceptors`);
      assert.equal(view?.state, 'waiting-for-quorum', `${d.name} says it waits for a quorum`);
      assert.equal(view?.reachableAcceptors, 2);
    }

    // One acceptor back: 3 of 5, a majority. The pending proposals go on and decide.
    const back = leaving[0];
    assert.ok(back);
    await back.start();
    const decided = await decidedOption(n1.client, q.id, 30_000);
    assert.ok(['Café', 'Park'].includes(decided));
    for (const d of [...staying, back, n8])
      assert.equal(await decidedOption(d.client, q.id, 30_000), decided);
  });
});
