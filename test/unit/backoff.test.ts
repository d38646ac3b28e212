import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, compareBallots, quorumSize, checkConfig } from '../../src/paxos/index.ts';

describe('backoff', () => {
  it('grows exponentially with the attempt, stays positive, and never exceeds the cap', () => {
    const options = { baseMs: 10, maxMs: 1000 };
    assert.equal(backoffDelay(1, 0.999999, options), 20);
    assert.equal(backoffDelay(3, 0.999999, options), 80);
    assert.equal(backoffDelay(50, 0.999999, options), 1000);
    assert.equal(backoffDelay(3, 0, options), 1);
    assert.equal(backoffDelay(3, 0.5, options), 41);
  });
});

describe('ballots and quorums', () => {
  it('orders ballots totally: round first, node id second', () => {
    assert.ok(compareBallots({ round: 2, node: 'a' }, { round: 1, node: 'z' }) > 0);
    assert.ok(compareBallots({ round: 1, node: 'a' }, { round: 1, node: 'b' }) < 0);
    assert.equal(compareBallots({ round: 1, node: 'a' }, { round: 1, node: 'a' }), 0);
  });

  it('a quorum is a strict majority of the acceptor set', () => {
    const q = (n: number) =>
      quorumSize({ acceptors: Array.from({ length: n }, (_, i) => `n${i}`), learners: [] });
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(q), [1, 2, 2, 3, 3, 4, 4]);
  });

  it('rejects unusable acceptor sets', () => {
    assert.match(checkConfig({ acceptors: [], learners: [] }) ?? '', /at least one acceptor/);
    assert.match(checkConfig({ acceptors: ['a', 'a'], learners: [] }) ?? '', /twice/);
    const eight = Array.from({ length: 8 }, (_, i) => `n${i}`);
    assert.match(checkConfig({ acceptors: eight, learners: [] }) ?? '', /at most 7/);
    assert.equal(checkConfig({ acceptors: eight, learners: [] }, 8), null);
  });
});
