/**
 * Votes and sealed bids closed by Paxos, against three real daemons on loopback: whatever each member
 * saw when it closed, every node ends with the same final tally, and the winner follows from it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QuestionView, SynodApi } from '../../src/api/types.ts';
import { DaemonGroup, freePort, question, sleep, waitFor } from '../helpers/daemons.ts';

async function finalView(api: SynodApi, id: string): Promise<QuestionView> {
  let view: QuestionView | undefined;
  await waitFor(
    async () => {
      view = await question(api, id);
      return (view?.outcome?.close?.tally ?? null) !== null;
    },
    20_000,
    `the final tally of ${id}`,
  );
  assert.ok(view);
  return view;
}

/** The final tally as comparable text: option, score and members per line. */
function tallyText(view: QuestionView): string {
  return JSON.stringify(
    view.outcome?.close?.tally?.lines.map((l) => [l.option, l.score, l.members.map((m) => m.name)]),
  );
}

describe('decision rules over three daemons', () => {
  let group: DaemonGroup;
  before(async () => {
    // Fixed ports, as laptops that find each other again by mDNS: this test is about the close, and
    // two laptops restarting at once on new ports would find each other only through those addresses.
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    group = await DaemonGroup.start(3, {
      extraArgs: (i) => ['--listen', `/ip4/127.0.0.1/tcp/${ports[i] ?? 0}`],
    });
  });
  after(() => group?.stop());

  const nodes = () => {
    const [n1, n2, n3] = group.daemons;
    assert.ok(n1 && n2 && n3);
    return [n1.client, n2.client, n3.client] as const;
  };
  const knownEverywhere = (id: string) =>
    Promise.all(
      nodes().map((api) =>
        waitFor(async () => (await question(api, id)) !== undefined, 10_000, 'every node to know it'),
      ),
    );

  it('a vote: members vote and change their minds; the asker closes; everyone shows the same tally', async () => {
    const [a, b, c] = nodes();
    const q = await a.createQuestion({
      title: 'When do we attack?',
      options: ['Dawn', 'Dusk'],
      rule: 'vote',
    });
    assert.equal(q.rule, 'vote');
    await knownEverywhere(q.id);
    await a.vote({ questionId: q.id, option: 'Dawn' });
    await b.vote({ questionId: q.id, option: 'Dawn' });
    await c.vote({ questionId: q.id, option: 'Dawn' });
    await b.vote({ questionId: q.id, option: 'Dusk' }); // Bob changes his mind
    await c.vote({ questionId: q.id, option: 'Dusk' });
    // Every node sees the running tally.
    for (const api of [a, b, c]) {
      await waitFor(
        async () => {
          const lines = (await question(api, q.id))?.tally?.lines ?? [];
          return lines.find((l) => l.option === 'Dusk')?.score === 2;
        },
        10_000,
        'the running tally everywhere',
      );
    }
    // Proposing is not how a vote is decided; only its asker closes it before a deadline.
    await assert.rejects(a.propose({ questionId: q.id, option: 'Dawn' }), /decided by vote/);
    await assert.rejects(b.close({ questionId: q.id }), /only the member who asked/);
    const closed = await a.close({ questionId: q.id });
    assert.equal(closed.state, 'decided');
    assert.deepEqual(closed.state === 'decided' && [closed.outcome.option, closed.won], ['Dusk', false]);
    const views = await Promise.all([a, b, c].map((api) => finalView(api, q.id)));
    for (const view of views) {
      assert.equal(view.outcome?.option, 'Dusk');
      assert.equal(view.outcome?.proposedByName, 'n1');
      assert.equal(tallyText(view), tallyText(views[0] as QuestionView));
    }
    assert.deepEqual(
      views.map((v) => v.outcome?.youWon),
      [false, true, true],
    );
    // A vote after the close counts nowhere.
    await assert.rejects(c.vote({ questionId: q.id, option: 'Dawn' }), /decided already/);
  });

  it('the asker away at the deadline, two members close at the same moment: one close is final everywhere', async () => {
    const [a, b, c] = nodes();
    const [n1] = group.daemons;
    assert.ok(n1);
    const deadline = Date.now() + 12_000;
    const q = await a.createQuestion({
      title: 'Which film?',
      options: ['Alien', 'Brazil', 'Casablanca'],
      rule: 'vote',
      deadline,
    });
    await knownEverywhere(q.id);
    await a.vote({ questionId: q.id, option: 'Alien' });
    await b.vote({ questionId: q.id, option: 'Brazil' });
    await c.vote({ questionId: q.id, option: 'Casablanca' });
    // Every node holds all three votes: the views differ only in what each adds now.
    for (const api of [a, b, c])
      await waitFor(async () => (await question(api, q.id))?.tally?.counted === 3, 10_000, 'three votes');
    // The asker's laptop, which would close at the deadline, is away; the others close themselves.
    await n1.stop();
    await c.vote({ questionId: q.id, option: 'Brazil' });
    await waitFor(async () => Date.now() >= deadline, 15_000, 'the deadline');
    // After the deadline no vote is taken (and Bob's and Carol's laptops close it by themselves).
    await assert.rejects(
      c.vote({ questionId: q.id, option: 'Alien' }),
      /deadline has passed|decided already/,
    );
    // Bob and Carol close at the same moment too: each close is its closer's view of the votes.
    const results = await Promise.all([b.close({ questionId: q.id }), c.close({ questionId: q.id })]);
    assert.ok(
      results.some((r) => r.state === 'decided'),
      JSON.stringify(results),
    );
    // The asker comes back: it learns the outcome and fetches the chosen votes.
    await n1.start();
    const views = await Promise.all(nodes().map((api) => finalView(api, q.id)));
    const tallies = new Set(views.map(tallyText));
    // Carol's last vote is in it: both closers held it.
    assert.equal(views[0]?.outcome?.option, 'Brazil');
    assert.equal(tallies.size, 1, `one final tally everywhere: ${[...tallies].join(' | ')}`);
    assert.equal(new Set(views.map((v) => v.outcome?.option)).size, 1);
    assert.equal(new Set(views.map((v) => v.outcome?.proposedBy)).size, 1);
  });

  it('kill -9 during the close: the laptops come back with their votes and all show the same final tally', async () => {
    const [a, b, c] = nodes();
    const [, n2, n3] = group.daemons;
    assert.ok(n2 && n3);
    // Every member's newest addresses are on every disk (saved a second after they change): without
    // multicast, two laptops that restart on new ports find each other only through them.
    await group.waitForMesh();
    await sleep(1_500);
    const q = await a.createQuestion({ title: 'Which colour?', options: ['Red', 'Blue'], rule: 'vote' });
    await knownEverywhere(q.id);
    await b.vote({ questionId: q.id, option: 'Blue' });
    await c.vote({ questionId: q.id, option: 'Blue' });
    await a.vote({ questionId: q.id, option: 'Red' });
    for (const api of [a, b, c])
      await waitFor(async () => (await question(api, q.id))?.tally?.counted === 3, 10_000, 'three votes');
    // The close starts, and two of the three laptops die at once, mid-close.
    const closing = a.close({ questionId: q.id, waitMs: 0 });
    await Promise.all([n2.kill9(), n3.kill9()]);
    await closing;
    await Promise.all([n2.start(), n3.start()]);
    await group.waitForMesh();
    // Their votes were on disk: they still show them (before or after the outcome arrives).
    const views = await Promise.all(nodes().map((api) => finalView(api, q.id)));
    for (const view of views) {
      assert.equal(view.outcome?.option, 'Blue');
      assert.equal(tallyText(view), tallyText(views[0] as QuestionView));
    }
    assert.match(tallyText(views[0] as QuestionView), /"Blue",2.*"Red",1/);
  });

  it('sealed bids: hidden until the close; the highest bid wins though a lower one came first', async () => {
    const [a, b, c] = nodes();
    const q = await a.createQuestion({ title: 'The painting', options: [], rule: 'sealed-bid' });
    await knownEverywhere(q.id);
    await b.bid({ questionId: q.id, amount: 50 });
    await c.bid({ questionId: q.id, amount: 120 });
    await b.bid({ questionId: q.id, amount: 90 }); // Bob raises, still lower than Carol
    for (const api of [a, b, c]) {
      await waitFor(async () => (await question(api, q.id))?.tally?.counted === 2, 10_000, 'two bids');
      const view = await question(api, q.id);
      assert.equal(view?.tally?.sealed, true);
      assert.deepEqual(view?.tally?.lines, [], 'no amount, option or bidder is shown before the close');
    }
    await assert.rejects(b.vote({ questionId: q.id, option: 'the lot' }), /auction/);
    await assert.rejects(b.bid({ questionId: q.id, amount: -5 }), /more than 0/);
    const closed = await a.close({ questionId: q.id });
    assert.equal(closed.state, 'decided');
    const views = await Promise.all([a, b, c].map((api) => finalView(api, q.id)));
    for (const view of views) {
      assert.equal(view.outcome?.close?.winningBid?.member.name, 'n3');
      assert.equal(view.outcome?.close?.winningBid?.amount, 120);
    }
    assert.deepEqual(
      views.map((v) => v.outcome?.youWon),
      [null, false, true],
    );
  });
});
