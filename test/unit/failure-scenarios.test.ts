/**
 * The failure cases the classic Paxos walkthroughs go through, written out message by message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualCluster, all, from, kind, to } from '../helpers/manual-cluster.ts';

const config = { acceptors: ['a', 'b', 'c'], learners: ['p', 'q'] };

function cluster(): ManualCluster {
  const c = new ManualCluster(['a', 'b', 'c', 'p', 'q']);
  c.open('d', config);
  return c;
}

function everyoneKnows(c: ManualCluster, value: string): void {
  for (const n of ['a', 'b', 'c', 'p', 'q']) assert.equal(c.chosen(n, 'd'), value, `${n} knows the outcome`);
}

describe('failure scenarios', () => {
  it('an acceptor fails in phase 1: the other two are a quorum', () => {
    const c = cluster();
    c.crash('c');
    c.propose('p', 'd', 'x');
    c.settle();
    assert.equal(c.chosen('p', 'd'), 'x');
    c.restart('c');
    assert.equal(c.chosen('c', 'd'), null);
    c.tick('c', 0); // catch-up question right after the restart
    c.settle();
    everyoneKnows(c, 'x');
  });

  it('an acceptor fails in phase 2, after promising: the decision completes without it', () => {
    const c = cluster();
    c.propose('p', 'd', 'x');
    c.settle(kind('prepare', 'promise'));
    c.crash('b');
    c.settle();
    assert.equal(c.chosen('p', 'd'), 'x');
    // Its promise survived the crash: it is on disk.
    c.restart('b');
    assert.deepEqual(c.core('b').decision('d')?.acceptor.promised, { round: 1, node: 'p' });
  });

  it('a proposer fails after sending prepares: a later proposer decides its own value', () => {
    const c = cluster();
    c.propose('p', 'd', 'x');
    c.deliver(kind('prepare')); // promises are sent back, but p is gone
    c.crash('p');
    c.propose('q', 'd', 'y');
    c.settle();
    assert.equal(c.chosen('q', 'd'), 'y');
    // p comes back, resumes its proposal, and learns that it lost.
    c.restart('p');
    c.tick('p', 0);
    c.settle();
    assert.equal(c.chosen('p', 'd'), 'y');
    assert.deepEqual(c.decidedEvents('p', 'd').at(-1), {
      kind: 'decided',
      decision: 'd',
      value: 'y',
      ownProposal: 'x',
    });
  });

  it('a proposer fails in the middle of the accept phase: a later proposer must finish with the old value', () => {
    const c = cluster();
    c.propose('p', 'd', 'x');
    c.settle(kind('prepare', 'promise'));
    c.deliver(all(kind('accept'), to('a'))); // only a accepted x
    c.crash('p');
    c.drop(() => true);
    c.propose('q', 'd', 'y');
    c.deliver(all(kind('prepare'), to('a', 'b'))); // a's promise carries (1.p, x)
    c.drop(kind('prepare'));
    c.deliver(kind('promise'));
    const accepts = c.inFlight.filter((m) => m.message.kind === 'accept');
    assert.ok(accepts.every((m) => m.message.kind === 'accept' && m.message.value === 'x'));
    c.settle();
    assert.equal(c.chosen('q', 'd'), 'x');
    assert.deepEqual(c.decidedEvents('q', 'd'), [
      { kind: 'decided', decision: 'd', value: 'x', ownProposal: 'y' },
    ]);
  });

  it('a value accepted by a quorum stays chosen, whatever a later proposer wants', () => {
    const c = cluster();
    c.propose('p', 'd', 'x');
    c.settle(kind('prepare', 'promise'));
    c.deliver(all(kind('accept'), to('a', 'b')));
    c.crash('p'); // accepted replies lost: nobody has learned yet, but x is chosen
    c.drop(() => true);
    for (const proposer of ['q', 'c']) {
      c.propose(proposer, 'd', `${proposer}-value`);
      c.settle();
    }
    c.restart('p');
    c.tick('p', 0);
    c.settle();
    everyoneKnows(c, 'x');
  });

  it('dueling proposers: preempting each other, then randomized backoff lets one finish', () => {
    const c = cluster();
    c.propose('p', 'd', 'x');
    c.deliver(all(kind('prepare'), from('p')));
    c.deliver(kind('promise')); // p has its quorum and sends accepts
    c.propose('q', 'd', 'y');
    c.deliver(all(kind('prepare'), from('q'))); // q's higher ballot preempts p's accepts
    c.deliver(all(kind('accept'), from('p'))); // refused: nacks to p
    c.deliver(kind('nack', 'promise'));
    assert.equal(c.core('p').decision('d')?.proposer.phase.name, 'backoff');
    // p retries above q; q's accepts are then refused in turn: the duel goes on until timing separates them.
    c.random = 0.1;
    c.tick('p', 3_000);
    c.deliver(all(kind('prepare'), from('p')));
    c.deliver(all(kind('accept'), from('q')));
    c.deliver(kind('nack', 'promise'));
    assert.equal(c.core('q').decision('d')?.proposer.phase.name, 'backoff');
    // p now completes before q's backoff ends.
    c.settle();
    assert.equal(c.chosen('p', 'd'), 'x');
    c.tick('q', 10_000);
    c.settle();
    everyoneKnows(c, 'x');
  });

  it('lost messages: timeouts and retries get through once the network delivers again', () => {
    const c = cluster();
    c.propose('p', 'd', 'x');
    c.drop(() => true); // every prepare lost
    c.tick('p', 1_000);
    c.tick('p', 5_000);
    c.settle(kind('prepare', 'promise'));
    c.drop(kind('accept')); // every accept lost
    c.tick('p', 1_000);
    c.tick('p', 5_000);
    c.settle();
    everyoneKnows(c, 'x');
  });

  it('duplicated messages: delivering everything twice changes nothing', () => {
    const c = cluster();
    c.propose('p', 'd', 'x');
    for (let i = 0; i < 20 && c.inFlight.length > 0; i++) {
      c.inFlight = c.inFlight.flatMap((m) => [m, m]);
      c.deliver();
    }
    everyoneKnows(c, 'x');
    assert.equal(c.decidedEvents('a', 'd').length, 1);
  });
});
