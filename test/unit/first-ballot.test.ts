import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  justificationProblem,
  SynodCore,
  type DecisionConfig,
  type PaxosMessage,
} from '../../src/paxos/index.ts';
import { ManualCluster, all, from, kind, to } from '../helpers/manual-cluster.ts';

/** The question's asker, a, holds round 0: its first Accepts need no phase 1. */
const ASKED_BY_A: DecisionConfig = { acceptors: ['a', 'b', 'c'], learners: ['l'], firstProposer: 'a' };
const env = { now: 0, random: () => 0.5 };

function cluster(config: DecisionConfig = ASKED_BY_A): ManualCluster {
  const c = new ManualCluster([...config.acceptors, ...config.learners]);
  c.open('d', config);
  return c;
}

const firstAccept = (node: string, value = 'x'): Extract<PaxosMessage, { kind: 'accept' }> => ({
  kind: 'accept',
  decision: 'd',
  ballot: { round: 0, node },
  value,
  promises: [],
});

describe('the first ballot (round 0, held by the question’s asker)', () => {
  it('its holder sends Accepts at once, after its proposal is on disk, and decides in one round trip', () => {
    const c = cluster();
    const ready = c.propose('a', 'd', 'x');
    assert.equal(ready.persist[0]?.proposal, 'x');
    // Round 0 stays "unused" on disk: after a restart the proposal resumes from round 1, with phase 1.
    assert.equal(ready.persist[0]?.roundUsed, 0);
    assert.deepEqual(
      ready.send.map((e) => [
        e.to,
        e.message.kind,
        e.message.kind === 'accept' ? e.message.ballot.round : -1,
      ]),
      [
        ['a', 'accept', 0],
        ['b', 'accept', 0],
        ['c', 'accept', 0],
      ],
    );
    c.settle();
    for (const n of ['a', 'b', 'c', 'l']) assert.equal(c.chosen(n, 'd'), 'x', n);
    const kinds = c.readies.flatMap((r) => r.ready.send.map((e) => e.message.kind));
    assert.ok(!kinds.includes('prepare') && !kinds.includes('promise'), kinds.join(' '));
    const certificate = c.core('l').decision('d')?.certificate;
    assert.equal(certificate?.ballot.round, 0);
    assert.deepEqual(certificate?.promises, []);
  });

  it('anyone else starts with phase 1 at round 1', () => {
    const c = cluster();
    const ready = c.propose('b', 'd', 'y');
    assert.deepEqual(
      ready.send.map((e) => e.message.kind),
      ['prepare', 'prepare', 'prepare'],
    );
    assert.equal(ready.persist[0]?.roundUsed, 1);
  });

  it('a decision recorded without a first proposer has no round 0: its asker goes through phase 1', () => {
    const c = cluster({ acceptors: ['a', 'b', 'c'], learners: [] });
    assert.equal(c.propose('a', 'd', 'x').send[0]?.message.kind, 'prepare');
  });

  it('acceptors refuse round 0 from anyone but its holder, and a Prepare of round 0 from anyone', () => {
    const core = new SynodCore('b');
    core.step({ kind: 'open', decision: 'd', config: ASKED_BY_A }, env);
    const fromC = core.step({ kind: 'receive', from: 'c', message: firstAccept('c') }, env);
    assert.deepEqual(fromC.send, []);
    assert.match(JSON.stringify(fromC.events), /round 0, which belongs to the question's first proposer/);
    const prepare = core.step(
      {
        kind: 'receive',
        from: 'a',
        message: { kind: 'prepare', decision: 'd', ballot: { round: 0, node: 'a' } },
      },
      env,
    );
    assert.deepEqual(prepare.send, []);
    assert.match(JSON.stringify(prepare.events), /a prepare of round 0/);
    assert.equal(core.decision('d')?.acceptor.promised, null);
    const fromA = core.step({ kind: 'receive', from: 'a', message: firstAccept('a') }, env);
    assert.equal(fromA.send[0]?.message.kind, 'accepted');
    assert.deepEqual(fromA.persist[0]?.accepted, { ballot: { round: 0, node: 'a' }, value: 'x' });
  });

  it('round 0 with promises, or without a first proposer, is no valid Accept', () => {
    const withPromises = {
      ...firstAccept('a'),
      promises: [{ acceptor: 'b', accepted: null, signature: 's' }],
    };
    assert.match(justificationProblem(ASKED_BY_A, 2, withPromises) ?? '', /round 0 with promises/);
    assert.match(
      justificationProblem({ acceptors: ['a', 'b', 'c'], learners: [] }, 2, firstAccept('a')) ?? '',
      /first proposer only/,
    );
    assert.equal(justificationProblem(ASKED_BY_A, 2, firstAccept('a')), null);
  });

  it('acceptors that promised a later ballot refuse round 0; its holder backs off and, through phase 1, adopts the value chosen meanwhile', () => {
    const c = cluster();
    c.propose('b', 'd', 'y');
    // b's round 1 gets y chosen by b and c (nobody hears of it yet), before a's round 0 arrives.
    c.deliver(all(kind('prepare'), to('b', 'c')));
    c.deliver(all(kind('promise'), from('b', 'c')));
    c.deliver(all(kind('accept'), to('b', 'c')));
    c.drop(all(kind('accept')));
    c.drop(kind('accepted'));
    c.propose('a', 'd', 'x');
    c.deliver(all(kind('accept'), to('b', 'c')));
    c.deliver(kind('nack'));
    assert.equal(c.core('a').decision('d')?.proposer.phase.name, 'backoff');
    c.tick('a', 5_000);
    c.settle();
    for (const n of ['a', 'b', 'c']) assert.equal(c.chosen(n, 'd'), 'y', n);
  });

  it('after a restart its holder resumes through phase 1, never round 0 again', () => {
    const c = cluster();
    c.propose('a', 'd', 'x');
    c.drop(() => true);
    c.crash('a');
    c.restart('a');
    const resumed = c.tick('a', 10);
    const rounds = resumed.send.flatMap((e) =>
      e.message.kind === 'prepare' || e.message.kind === 'accept' ? [e.message.ballot.round] : [],
    );
    assert.ok(rounds.length > 0 && rounds.every((r) => r === 1), JSON.stringify(rounds));
  });
});
