import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QuestionView } from '../../src/api/types.ts';
import { myVoteStanding } from '../../src/api/vote-words.ts';
import { DaemonGroup, question, waitFor } from '../helpers/daemons.ts';

/**
 * A vote is "counted" only once a strict majority of the question's acceptors hold it and said so:
 * real daemons, the voter's receipts through the HTTP API, across a crash of the voter with the
 * others gone.
 */
describe('vote receipts on real daemons', () => {
  let group: DaemonGroup;
  before(async () => {
    group = await DaemonGroup.start(3);
  });
  after(() => group?.stop());

  it('counted with a majority of receipts, kept through a crash; a change while the others are away is not counted until they return', async () => {
    const [a, b, c] = group.daemons;
    assert.ok(a && b && c);
    const q = await a.client.createQuestion({
      title: 'Which film?',
      options: ['Alien', 'Brazil'],
      rule: 'vote',
    });
    assert.equal(q.acceptors.length, 3);
    await waitFor(
      async () => (await question(b.client, q.id)) !== undefined,
      10_000,
      'Bob to know the question',
    );
    // Asked to wait, the answer comes once the vote is counted.
    const answer = await b.client.vote({ questionId: q.id, option: 'Alien', waitMs: 10_000 });
    assert.ok((answer.myVote?.receipts ?? 0) >= 2, `counted when answered (${answer.myVote?.receipts})`);
    const mine = async (): Promise<QuestionView['myVote']> =>
      (await question(b.client, q.id))?.myVote ?? null;
    await waitFor(
      async () => ((await mine())?.receipts ?? 0) >= 2,
      10_000,
      "a majority of the acceptors' receipts",
    );
    const counted = await question(b.client, q.id);
    assert.equal(counted?.myVote?.needed, 2);
    assert.match(
      myVoteStanding(counted as QuestionView) ?? '',
      /^Counted: [23] laptops of the 3 that decide hold it/,
    );

    // The others go; Bob's laptop crashes and comes back alone: what it said stays said.
    await Promise.all([a.stop(), c.stop()]);
    await b.kill9();
    await b.start();
    const after = await mine();
    assert.equal(after?.option, 'Alien');
    assert.ok((after?.receipts ?? 0) >= 2, `still counted after the crash (${after?.receipts} receipts)`);

    // A change of vote while the others are away: only Bob's own acceptor holds it, not counted.
    const started = Date.now();
    const changed = await b.client.vote({ questionId: q.id, option: 'Brazil', waitMs: 1_500 });
    assert.ok(Date.now() - started >= 1_400, 'it waited, in vain, for the others');
    assert.equal(changed?.myVote?.option, 'Brazil');
    assert.ok((changed?.myVote?.receipts ?? 0) < 2);
    assert.match(myVoteStanding(changed as QuestionView) ?? '', /^Saved on this laptop, not counted yet/);
    // They come back: the laptop keeps asking, and the change is counted.
    await Promise.all([a.start(), c.start()]);
    await waitFor(
      async () => ((await mine())?.receipts ?? 0) >= 2,
      30_000,
      'the change to be counted once they are back',
    );
    assert.equal((await mine())?.option, 'Brazil');
  });
});
