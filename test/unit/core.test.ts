import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CORE_OPTIONS, SynodCore, type DecisionConfig } from '../../src/paxos/index.ts';
import { ManualCluster, all, from, kind, to } from '../helpers/manual-cluster.ts';

const THREE: DecisionConfig = { acceptors: ['a', 'b', 'c'], learners: [] };
const env = { now: 0, random: () => 0.5 };

function cluster(config: DecisionConfig = THREE): ManualCluster {
  const c = new ManualCluster([...config.acceptors, ...config.learners]);
  c.open('d', config);
  return c;
}

describe('core: persist, then send', () => {
  it('records the acceptor set durably when a decision is opened', () => {
    const core = new SynodCore('a');
    const ready = core.step({ kind: 'open', decision: 'd', config: THREE }, env);
    assert.deepEqual(ready.persist[0]?.config, THREE);
  });

  it('a node that keeps the acceptor set elsewhere (its catalog) writes nothing at open; its first vote records the set', () => {
    const core = new SynodCore('a', { ...DEFAULT_CORE_OPTIONS, recordOnOpen: false });
    assert.deepEqual(core.step({ kind: 'open', decision: 'd', config: THREE }, env).persist, []);
    const promise = core.step(
      {
        kind: 'receive',
        from: 'b',
        message: { kind: 'prepare', decision: 'd', ballot: { round: 1, node: 'b' } },
      },
      env,
    );
    assert.deepEqual(promise.persist[0]?.config, THREE);
  });

  it('persists the ballot it is about to use together with the prepares that use it', () => {
    const c = cluster();
    const ready = c.propose('a', 'd', 'x');
    assert.equal(ready.persist.length, 1);
    assert.equal(ready.persist[0]?.roundUsed, 1);
    assert.equal(ready.persist[0]?.proposal, 'x');
    assert.deepEqual(
      ready.send.map((e) => [e.to, e.message.kind]),
      [
        ['a', 'prepare'],
        ['b', 'prepare'],
        ['c', 'prepare'],
      ],
    );
  });

  it('an acceptor persists its promise in the same Ready as the promise it sends', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.deliver(all(kind('prepare'), to('b')));
    const ready = c.readies.at(-1)?.ready;
    assert.deepEqual(ready?.persist[0]?.promised, { round: 1, node: 'a' });
    assert.equal(ready?.send[0]?.message.kind, 'promise');
  });

  it('reports a decision only with the chosen value in the same Ready’s persist', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.settle();
    const decidedReady = c.readies.find(
      (r) => r.node === 'a' && r.ready.events.some((e) => e.kind === 'decided'),
    );
    assert.equal(decidedReady?.ready.persist[0]?.chosen, 'x');
  });
});

describe('core: proposer', () => {
  it('decides its own value when no acceptor has accepted anything, and every member learns it', () => {
    const c = cluster({ acceptors: ['a', 'b', 'c'], learners: ['l'] });
    c.propose('a', 'd', 'x');
    c.settle();
    for (const n of ['a', 'b', 'c', 'l']) assert.equal(c.chosen(n, 'd'), 'x', n);
    assert.deepEqual(c.decidedEvents('a', 'd'), [
      { kind: 'decided', decision: 'd', value: 'x', ownProposal: 'x' },
    ]);
  });

  it('needs promises from a strict majority: one promise of three does not start phase 2', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.deliver(all(kind('prepare'), to('a')));
    c.deliver(all(kind('promise')));
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'preparing');
    c.deliver(all(kind('prepare'), to('b')));
    c.deliver(kind('promise'));
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'accepting');
  });

  it('counts each acceptor once: a duplicated promise does not make a quorum', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.deliver(all(kind('prepare'), to('b')));
    const promise = c.inFlight.find((m) => m.message.kind === 'promise');
    assert.ok(promise);
    c.inFlight.push(promise);
    c.deliver(kind('promise'));
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'preparing');
  });

  it('counts each acceptor once: duplicated accepted replies do not choose a value', () => {
    const c = cluster({ acceptors: ['a', 'b', 'c', 'e', 'f'], learners: [] });
    c.propose('a', 'd', 'x');
    c.settle(kind('prepare', 'promise'));
    c.deliver(all(kind('accept'), to('b', 'c')));
    const replies = c.inFlight.filter((m) => m.message.kind === 'accepted');
    c.inFlight.push(...replies, ...replies);
    c.deliver(kind('accepted'));
    assert.equal(c.chosen('a', 'd'), null);
  });

  it('with 4 acceptors, 2 accepts are not a quorum; 3 are', () => {
    const c = cluster({ acceptors: ['a', 'b', 'c', 'e'], learners: [] });
    c.propose('a', 'd', 'x');
    c.settle(kind('prepare', 'promise'));
    c.deliver(all(kind('accept'), to('a', 'b')));
    c.deliver(kind('accepted'));
    assert.equal(c.chosen('a', 'd'), null);
    c.deliver(all(kind('accept'), to('c')));
    c.deliver(kind('accepted'));
    assert.equal(c.chosen('a', 'd'), 'x');
  });

  it('ignores stale replies for an earlier ballot of its own', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.deliver(all(kind('prepare'), to('b', 'c')));
    const stale = c.inFlight.filter((m) => m.message.kind === 'promise');
    c.drop(kind('promise'));
    c.tick('a', 1_000); // phase timeout: back off
    c.tick('a', 5_000); // retry with round 2
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'preparing');
    c.inFlight.push(...stale);
    c.deliver(kind('promise'));
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'preparing');
  });

  it('adopts the value of the highest-ballot accepted proposal among the promises', () => {
    const c = cluster({ acceptors: ['a', 'b', 'c', 'e', 'f'], learners: [] });
    // b accepted x at ballot 1.a; c accepted y at ballot 2.e; a new proposer must pick y.
    c.propose('a', 'd', 'x');
    c.settle(kind('prepare', 'promise'));
    c.deliver(all(kind('accept'), to('b')));
    c.drop(kind('accept', 'accepted'));
    c.propose('e', 'd', 'y');
    c.deliver(all(kind('prepare'), from('e'), to('c', 'e', 'f')));
    c.deliver(kind('promise'));
    c.deliver(all(kind('accept'), to('c')));
    c.drop(kind('accept', 'accepted', 'prepare', 'promise'));
    c.propose('f', 'd', 'z');
    c.deliver(all(kind('prepare'), from('f'), to('b', 'c', 'f')));
    c.deliver(kind('promise'));
    const accepts = c.inFlight.filter((m) => m.message.kind === 'accept' && m.from === 'f');
    assert.ok(accepts.length > 0);
    for (const m of accepts) assert.equal(m.message.kind === 'accept' && m.message.value, 'y');
  });

  it('on a nack backs off, then retries with a ballot above the promise it was refused for', () => {
    const c = cluster();
    c.propose('b', 'd', 'y'); // ballot 1.b
    c.deliver(all(kind('prepare'), to('c')));
    c.drop(() => true);
    c.propose('a', 'd', 'x'); // ballot 1.a, below 1.b
    c.deliver(all(kind('prepare'), to('c')));
    c.drop(kind('prepare'));
    c.deliver(kind('nack'));
    const phase = c.core('a').decision('d')?.proposer.phase;
    assert.equal(phase?.name, 'backoff');
    const retry = c.tick('a', 10_000);
    const prepare = retry.send.find((e) => e.message.kind === 'prepare')?.message;
    assert.ok(prepare?.kind === 'prepare');
    assert.ok(prepare.ballot.round > 1, `retried with round ${prepare.ballot.round}`);
    assert.equal(retry.persist[0]?.roundUsed, prepare.ballot.round);
  });

  it('a timeout in either phase leads to a retry with a higher ballot', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.drop(() => true);
    assert.equal(c.tick('a', 999).send.length, 0);
    c.tick('a', 1); // deadline reached: back off
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'backoff');
    const retry = c.tick('a', 10_000);
    const prepares = retry.send.filter((e) => e.message.kind === 'prepare');
    assert.deepEqual(
      prepares.map((e) => e.message.kind === 'prepare' && e.message.ballot.round),
      [2, 2, 2],
    );
  });

  it('is abortable: a proposer whose value lost learns the value that was chosen', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.settle();
    c.propose('b', 'd', 'y');
    c.settle();
    assert.deepEqual(c.decidedEvents('b', 'd').at(-1), {
      kind: 'decided',
      decision: 'd',
      value: 'x',
      ownProposal: 'y',
    });
  });

  it('keeps the first proposal of a node and refuses a different one while it runs', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    const ready = c.propose('a', 'd', 'other');
    assert.equal(ready.events[0]?.kind, 'refused');
    assert.equal(ready.send.length, 0);
  });

  it('never reuses a ballot after a restart: the next round is above the persisted one', () => {
    const c = new ManualCluster(['a', 'b', 'c', 'p']);
    c.open('d', THREE);
    c.propose('p', 'd', 'x'); // p is a learner: its own acceptor state cannot bound its ballots
    c.drop(() => true);
    c.tick('p', 2_000);
    c.tick('p', 10_000); // round 2
    c.drop(() => true);
    c.crash('p');
    c.restart('p');
    const ready = c.tick('p', 0); // the restored proposal resumes at once
    const rounds = ready.send
      .filter((e) => e.message.kind === 'prepare')
      .map((e) => e.message.kind === 'prepare' && e.message.ballot.round);
    assert.deepEqual(rounds, [3, 3, 3]);
  });
});

describe('core: acceptor and learner roles', () => {
  it('a node outside the acceptor set does not vote', () => {
    const c = new ManualCluster(['a', 'b', 'c', 'l']);
    c.open('d', { acceptors: ['a', 'b', 'c'], learners: ['l'] });
    const ready = c.step('l', {
      kind: 'receive',
      from: 'a',
      message: { kind: 'prepare', decision: 'd', ballot: { round: 1, node: 'a' } },
    });
    assert.equal(ready.send.length, 0);
    assert.equal(ready.persist.length, 0);
    assert.match(ready.events[0]?.kind === 'refused' ? ready.events[0].reason : '', /no acceptor/);
  });

  it('ignores votes from nodes outside the acceptor set', () => {
    const c = new ManualCluster(['a', 'b', 'c', 'l']);
    c.open('d', { acceptors: ['a', 'b', 'c'], learners: ['l'] });
    c.propose('a', 'd', 'x');
    c.deliver(all(kind('prepare'), to('a')));
    c.deliver(kind('promise'));
    const ballot = { round: 1, node: 'a' };
    const ready = c.step('a', {
      kind: 'receive',
      from: 'l',
      message: { kind: 'promise', decision: 'd', ballot, accepted: null, signature: 'by-l' },
    });
    assert.equal(ready.events[0]?.kind, 'refused');
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'preparing');
  });

  it('refuses a prepare whose ballot claims to come from another node', () => {
    const c = cluster();
    const ready = c.step('b', {
      kind: 'receive',
      from: 'c',
      message: { kind: 'prepare', decision: 'd', ballot: { round: 9, node: 'a' } },
    });
    assert.equal(ready.events[0]?.kind, 'refused');
    assert.equal(c.core('b').decision('d')?.acceptor.promised, null);
  });

  it('proposing on a decided question returns the decided value and sends nothing', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.settle();
    const ready = c.propose('c', 'd', 'y');
    assert.deepEqual(ready.events, [{ kind: 'decided', decision: 'd', value: 'x', ownProposal: 'y' }]);
    assert.equal(ready.send.length, 0);
  });

  it('a member that missed the announcement catches up by asking', () => {
    const c = cluster({ acceptors: ['a', 'b', 'c'], learners: ['l'] });
    c.propose('a', 'd', 'x');
    c.settle(
      all(
        () => true,
        (m) => m.to !== 'l',
      ),
    );
    c.drop(to('l'));
    assert.equal(c.chosen('l', 'd'), null);
    const ask = c.tick('l', 1_000);
    assert.deepEqual(
      ask.send.map((e) => [e.to, e.message.kind]),
      [
        ['a', 'query'],
        ['b', 'query'],
        ['c', 'query'],
      ],
    );
    c.settle();
    assert.equal(c.chosen('l', 'd'), 'x');
  });

  it('messages about an unknown decision are reported, not acted on', () => {
    const c = cluster();
    const ready = c.step('a', { kind: 'receive', from: 'b', message: { kind: 'query', decision: 'nope' } });
    assert.deepEqual(ready.events, [{ kind: 'unknown-decision', decision: 'nope', from: 'b' }]);
  });

  it('refuses to reopen a decision with a different acceptor set', () => {
    const c = cluster();
    const ready = c.step('a', { kind: 'open', decision: 'd', config: { acceptors: ['a'], learners: [] } });
    assert.equal(ready.events[0]?.kind, 'refused');
    assert.deepEqual(c.core('a').decision('d')?.config, THREE);
  });
});
