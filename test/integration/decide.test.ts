import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SynodApi } from '../../src/api/types.ts';
import { DaemonGroup, decidedOption, waitFor } from '../helpers/daemons.ts';

for (const size of [3, 5]) {
  describe(`${size} daemon processes on loopback`, () => {
    let group: DaemonGroup;
    before(async () => {
      group = await DaemonGroup.start(size);
    });
    after(() => group?.stop());

    it('concurrent conflicting proposals from different nodes: every node reports the same proposed value', async () => {
      const [asker] = group.daemons;
      assert.ok(asker);
      const q = await asker.client.createQuestion({
        title: 'Where do we meet?',
        options: ['Cafe', 'Park', 'Library'],
        allowOther: true,
      });
      assert.equal(q.acceptors.length, size, 'every connected member is an acceptor');
      assert.equal(q.quorum, Math.floor(size / 2) + 1);
      // Wait until every node knows the question, then fire the proposals at once.
      await Promise.all(group.daemons.map((d) => knowsQuestion(d.client, q.id)));
      const proposed = group.daemons.map((_, i) => `option ${i + 1}`);
      const results = await Promise.all(
        group.daemons.map((d, i) => d.client.propose({ questionId: q.id, option: proposed[i] ?? '' })),
      );
      const outcomes = await Promise.all(group.daemons.map((d) => decidedOption(d.client, q.id)));
      assert.equal(new Set(outcomes).size, 1, `all agree: ${outcomes.join(', ')}`);
      assert.ok(proposed.includes(outcomes[0] ?? ''), 'the decided value is one of those proposed');
      // Exactly one proposer won; the others learned that another value was chosen.
      const decided = results.filter((r) => r.state === 'decided');
      assert.ok(decided.filter((r) => r.state === 'decided' && r.won).length <= 1);
      for (const r of decided) assert.equal(r.state === 'decided' && r.outcome.option, outcomes[0]);
    });

    it('proposing on a decided question returns the decided value', async () => {
      const [first, second] = group.daemons;
      assert.ok(first && second);
      const q = await first.client.createQuestion({ title: 'Pizza or sushi?', options: [] });
      const firstResult = await first.client.propose({ questionId: q.id, option: 'Pizza' });
      assert.equal(firstResult.state, 'decided');
      await decidedOption(second.client, q.id);
      const late = await second.client.propose({ questionId: q.id, option: 'Sushi' });
      assert.deepEqual(late.state === 'decided' && [late.outcome.option, late.won], ['Pizza', false]);
    });

    it('invalid input gets a clear error and changes nothing', async () => {
      const [first] = group.daemons;
      assert.ok(first);
      const before = (await first.client.questions()).length;
      await assert.rejects(
        first.client.createQuestion({ title: '   ', options: [] }),
        /title must not be empty/,
      );
      await assert.rejects(
        first.client.createQuestion({ title: 'x'.repeat(201), options: [] }),
        /at most 200 characters/,
      );
      await assert.rejects(first.client.createQuestion({ title: 'ok', options: ['a', 'a'] }), /listed twice/);
      await assert.rejects(first.client.propose({ questionId: 'f'.repeat(32), option: 'a' }), /no question/);
      await assert.rejects(first.client.propose({ questionId: 'nope', option: 'a' }), /not a question id/);
      assert.equal((await first.client.questions()).length, before);
    });
  });
}

async function knowsQuestion(api: SynodApi, id: string): Promise<void> {
  await waitFor(
    async () => (await api.questions()).some((q) => q.id === id),
    10_000,
    'the question to reach every node',
  );
}
