/**
 * Even acceptor sets, where a strict majority is half plus one: half the acceptors is never a quorum,
 * in phase 1 (promises) or phase 2 (accepted), for the proposer or for a learner.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualCluster, all, kind, to } from '../helpers/manual-cluster.ts';

function cluster(acceptors: string[]): ManualCluster {
  const c = new ManualCluster([...acceptors, 'l']);
  c.open('d', { acceptors, learners: ['l'] });
  return c;
}

for (const size of [2, 4, 6]) {
  const acceptors = ['a', 'b', 'c', 'e', 'f', 'g'].slice(0, size);
  const half = acceptors.slice(0, size / 2);
  const next = acceptors[size / 2] ?? '';

  describe(`${size} acceptors: a quorum is ${size / 2 + 1}`, () => {
    it(`phase 1: promises from ${size / 2} do not start phase 2; one more does`, () => {
      const c = cluster(acceptors);
      c.propose('a', 'd', 'x');
      c.deliver(all(kind('prepare'), to(...half)));
      c.deliver(kind('promise'));
      assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'preparing');
      assert.equal(c.inFlight.filter((m) => m.message.kind === 'accept').length, 0);
      c.deliver(all(kind('prepare'), to(next)));
      c.deliver(kind('promise'));
      assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'accepting');
    });

    it(`phase 2: accepted from ${size / 2} choose nothing, for the proposer or a learner; one more does`, () => {
      const c = cluster(acceptors);
      c.propose('a', 'd', 'x');
      c.settle(kind('prepare', 'promise'));
      c.deliver(all(kind('accept'), to(...half)));
      c.deliver(kind('accepted'));
      assert.equal(c.chosen('a', 'd'), null);
      // A learner told of these accepts by the acceptors themselves would not conclude either.
      for (const from of half) {
        c.step('l', {
          kind: 'receive',
          from,
          message: {
            kind: 'accepted',
            decision: 'd',
            ballot: { round: 1, node: 'a' },
            value: 'x',
            signature: `by-${from}`,
          },
        });
      }
      assert.equal(c.chosen('l', 'd'), null);
      c.deliver(all(kind('accept'), to(next)));
      c.deliver(kind('accepted'));
      assert.equal(c.chosen('a', 'd'), 'x');
      c.settle();
      assert.equal(c.chosen('l', 'd'), 'x');
    });
  });
}
