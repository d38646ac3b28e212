import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonGroup, DaemonProcess, decidedOption, question, waitFor } from '../helpers/daemons.ts';

/**
 * A member that was away (and a newcomer) learns what was decided without it, from the catalog its peers send on
 * connect, and keeps the facts of each outcome: when the group decided it (passed on with the outcome;
 * it used to be the time this member learned it, or to stay empty for ever when the outcome overtook
 * the question's own catalog write), across its restarts too.
 */
describe('catch-up of questions decided while a member was away', { timeout: 120_000 }, () => {
  let group: DaemonGroup;
  let late: DaemonProcess | null = null;
  before(async () => {
    group = await DaemonGroup.start(3);
  });
  after(async () => {
    await late?.stop();
    await group?.stop();
  });

  it('the returning member and a newcomer show every outcome with the time the group decided it', async () => {
    const [n1, n2, n3] = group.daemons;
    assert.ok(n1 && n2 && n3);
    await n3.stop();
    await waitFor(
      async () => (await n1.client.peers()).some((p) => p.name === 'n3' && !p.online),
      10_000,
      'n1 to see n3 gone',
    );
    const ids: string[] = [];
    // Twenty questions arrive back to back when the members reconnect: enough that some outcomes
    // overtake their question's catalog write (the old code then lost their time in every run).
    for (let i = 0; i < 20; i++) {
      const q = await n1.client.createQuestion({ title: `While away ${i}`, options: [] });
      await waitFor(async () => (await question(n2.client, q.id)) !== undefined, 10_000, 'n2 to know it');
      await n2.client.propose({ questionId: q.id, option: `v${i}` });
      assert.equal(await decidedOption(n1.client, q.id), `v${i}`);
      ids.push(q.id);
    }

    const back = Date.now();
    await n3.start();
    const newcomer = new DaemonProcess('n4', join(group.base, 'n4'));
    late = newcomer;
    await newcomer.start();
    const { invite } = await n1.client.invite();
    await newcomer.client.joinGroup({ invite, displayName: 'n4' });

    for (const d of [n3, newcomer]) {
      for (const [i, id] of ids.entries()) {
        assert.equal(await decidedOption(d.client, id), `v${i}`, `${d.name} learned question ${i}`);
        const outcome = (await question(d.client, id))?.outcome;
        const groupTime = (await question(n1.client, id))?.outcome?.decidedAt ?? 0;
        // The time the group decided, carried with the outcome: not the time this laptop came back.
        assert.ok(
          outcome?.decidedAt !== null &&
            outcome?.decidedAt !== undefined &&
            outcome.decidedAt < back &&
            Math.abs(outcome.decidedAt - groupTime) < 1_000,
          `${d.name} shows when the group decided question ${i} (${groupTime}; got ${outcome?.decidedAt}, back at ${back})`,
        );
      }
    }

    // The time is on disk: a restart shows the same one.
    const before = await Promise.all(
      ids.map(async (id) => (await question(n3.client, id))?.outcome?.decidedAt),
    );
    await n3.stop();
    await n3.start();
    const afterRestart = await Promise.all(
      ids.map(async (id) => (await question(n3.client, id))?.outcome?.decidedAt),
    );
    assert.deepEqual(afterRestart, before);
  });
});
