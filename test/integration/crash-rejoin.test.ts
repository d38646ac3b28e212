import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QuestionView } from '../../src/api/types.ts';
import { DaemonGroup, decidedOption, question, sleep, waitFor } from '../helpers/daemons.ts';

describe('kill -9 and rejoin', () => {
  let group: DaemonGroup;
  before(async () => {
    group = await DaemonGroup.start(3);
  });
  after(() => group?.stop());

  it('a node killed during a round comes back with the same identity and state, and everyone agrees', async () => {
    const [n1, n2, n3] = group.daemons;
    assert.ok(n1 && n2 && n3);
    const peerIdBefore = (await n3.client.status()).peerId;
    const q = await n1.client.createQuestion({ title: 'Who brings the cake?', options: ['Ann', 'Ben'] });
    await waitFor(
      async () => (await question(n3.client, q.id)) !== undefined,
      10_000,
      'n3 to know the question',
    );

    // Both propose; n3 dies a few milliseconds into the round, mid-flight.
    const fromN1 = n1.client.propose({ questionId: q.id, option: 'Ann' });
    const fromN3 = n3.client.propose({ questionId: q.id, option: 'Ben' }).catch(() => null);
    await sleep(5);
    await n3.kill9();
    await Promise.all([fromN1, fromN3]);

    // A majority (n1, n2) of the three acceptors is alive: the question still decides.
    const decided = await decidedOption(n1.client, q.id);
    assert.equal(await decidedOption(n2.client, q.id), decided);

    // A question asked while n3 is down: n3 is a learner of it and must catch up.
    await waitFor(
      async () => (await n1.client.peers()).some((p) => p.name === 'n3' && !p.online),
      10_000,
      'n1 to see n3 down',
    );
    const whileDown = await n1.client.createQuestion({ title: 'Which day?', options: [] });
    assert.deepEqual(whileDown.acceptors.map((a) => a.name).sort(), ['n1', 'n2']);
    await waitFor(
      async () => (await question(n2.client, whileDown.id)) !== undefined,
      10_000,
      'n2 to know it',
    );
    await n2.client.propose({ questionId: whileDown.id, option: 'Friday' });

    await n3.start();
    assert.equal((await n3.client.status()).peerId, peerIdBefore, 'the identity survives the crash');
    assert.equal((await n3.client.status()).storageError, null);
    assert.equal(await decidedOption(n3.client, q.id), decided, 'n3 agrees on the question it voted on');
    assert.equal(
      await decidedOption(n3.client, whileDown.id),
      'Friday',
      'n3 learned what was decided while it was down',
    );
  });

  it('a node restarted between rounds keeps every promise: its state log is intact after kill -9', async () => {
    const [n1, , n3] = group.daemons;
    assert.ok(n1 && n3);
    await group.waitForMesh();
    for (let i = 0; i < 3; i++) {
      const q: QuestionView = await n1.client.createQuestion({ title: `Round ${i}`, options: [] });
      const proposing = n1.client.propose({ questionId: q.id, option: `v${i}` });
      await sleep(i * 3);
      await n3.kill9();
      await proposing;
      await n3.start();
      assert.equal(await decidedOption(n3.client, q.id), `v${i}`);
      assert.equal((await n3.client.status()).storageError, null);
    }
  });
});
