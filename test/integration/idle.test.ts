import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SynodEvent } from '../../src/api/types.ts';
import { DaemonGroup, decidedOption, question, sleep, waitFor } from '../helpers/daemons.ts';

/**
 * An idle group must cost nothing: once members know each other and every question is settled, no
 * Synod message and no UI event should flow. The set-up reproduces what once made idle nodes forward
 * member lists to each other for ever (about 1,100 events a second on every page): members restart on
 * new ports while the others still hold, and pass on, their old addresses.
 */
describe('an idle group of 5 nodes', { timeout: 180_000 }, () => {
  let group: DaemonGroup;

  before(async () => {
    group = await DaemonGroup.start(5);
  });
  after(() => group?.stop());

  it('sends almost no messages and emits almost no events in a minute', async () => {
    const [n1, n2, n3] = group.daemons;
    assert.ok(n1 && n2 && n3);
    // Some history: decided questions, which must need no timers or messages afterwards.
    for (const title of ['Lunch?', 'Dinner?']) {
      const q = await n1.client.createQuestion({ title, options: ['Pizza', 'Soup'] });
      await waitFor(async () => (await question(n2.client, q.id)) !== undefined, 10_000, 'n2 to learn it');
      await n2.client.propose({ questionId: q.id, option: 'Soup' });
      for (const d of group.daemons) assert.equal(await decidedOption(d.client, q.id), 'Soup');
    }
    // Two members come back on new ports (their remembered port forgotten, as when another program
    // took it meanwhile); the others hold their old addresses.
    for (const d of [n2, n3]) {
      const before = (await d.client.status()).addresses;
      await d.stop();
      await rm(join(d.dataDir, 'network-port'), { force: true });
      await d.start();
      assert.notDeepEqual((await d.client.status()).addresses, before, 'a new port');
    }
    await group.waitForMesh();
    // Let the news spread, then measure.
    await sleep(5_000);

    const events = group.daemons.map(() => [] as SynodEvent[]);
    const unsubscribe = group.daemons.map((d, i) => d.client.subscribe((e) => events[i]?.push(e)));
    const sentBefore = await Promise.all(group.daemons.map(async (d) => (await d.client.status()).traffic));
    await sleep(Number(process.env.IDLE_MS ?? 60_000));
    const sentAfter = await Promise.all(group.daemons.map(async (d) => (await d.client.status()).traffic));
    for (const stop of unsubscribe) stop();

    const sent = sentAfter.map((t, i) => t.sent - (sentBefore[i]?.sent ?? 0));
    const received = sentAfter.map((t, i) => t.received - (sentBefore[i]?.received ?? 0));
    const eventCounts = events.map((list) => list.length);
    const report = `sent per node ${sent.join(', ')}; received ${received.join(', ')}; events ${eventCounts.join(', ')}`;
    // "Almost none": a handful, not a flood (the loop sent thousands a minute).
    assert.ok(sent.reduce((a, b) => a + b, 0) <= 10, `the group kept talking while idle: ${report}`);
    assert.ok(
      eventCounts.reduce((a, b) => a + b, 0) <= 10,
      `pages kept receiving events while idle: ${report}`,
    );
    // Every member still knows every other one at its current address.
    const addressesOf = new Map(
      await Promise.all(
        group.daemons.map(async (d) => {
          const s = await d.client.status();
          return [s.peerId, s.addresses] as const;
        }),
      ),
    );
    for (const d of group.daemons) {
      for (const peer of await d.client.peers()) {
        assert.ok(peer.online, `${d.name} sees ${peer.name} online`);
        const current = addressesOf.get(peer.peerId) ?? [];
        assert.ok(
          peer.addresses.some((a) => current.includes(a)),
          `${d.name} knows ${peer.name} at a current address: ${peer.addresses.join(' ')} vs ${current.join(' ')}`,
        );
      }
    }
  });
});
