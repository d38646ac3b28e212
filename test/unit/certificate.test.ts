import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  certificateProblem,
  conflictBetween,
  type Ballot,
  type Certificate,
  type PromiseEvidence,
} from '../../src/paxos/index.ts';
import { ManualCluster } from '../helpers/manual-cluster.ts';

const config = { acceptors: ['a', 'b', 'c'], learners: [] };
const b = (round: number, node = 'p'): Ballot => ({ round, node });
const promise = (acceptor: string, accepted: PromiseEvidence['accepted']): PromiseEvidence => ({
  acceptor,
  accepted,
  signature: `sig-${acceptor}`,
});
const cert = (ballot: Ballot, signers: string[], promises: PromiseEvidence[] = []): Certificate => ({
  ballot,
  accepted: signers.map((acceptor) => ({ acceptor, signature: `sig-${acceptor}` })),
  promises,
});

describe('certificates in the core', () => {
  it('a certificate needs a strict majority of distinct acceptors of the decision', () => {
    assert.equal(certificateProblem(config, cert(b(1), ['a', 'b']), 2), null);
    assert.match(certificateProblem(config, cert(b(1), ['a']), 2) ?? '', /1 acceptors where 2/);
    assert.match(certificateProblem(config, cert(b(1), ['a', 'a']), 2) ?? '', /twice/);
    assert.match(certificateProblem(config, cert(b(1), ['a', 'x']), 2) ?? '', /no acceptor/);
    const future = cert(b(2), ['a', 'b'], [promise('a', { ballot: b(2), value: 'x' })]);
    assert.match(certificateProblem(config, future, 2) ?? '', /could not have accepted yet/);
  });

  it('convicts an acceptor that signed Accepted at the lower ballot and hid it in a Promise for the higher', () => {
    const low = { value: 'x', certificate: cert(b(1), ['a', 'b']) };
    const high = {
      value: 'y',
      certificate: cert(b(2, 'q'), ['b', 'c'], [promise('a', null), promise('c', null)]),
    };
    const conflict = conflictBetween(low, high);
    assert.deepEqual(conflict.liars, ['a']);
    assert.deepEqual(conflict.signedBoth, ['b']);
    // The same whichever certificate a node held first.
    assert.deepEqual(conflictBetween(high, low).liars, ['a']);
  });

  it('convicts nobody on a truthful Promise, and an acceptor that signed two values at one ballot', () => {
    const low = { value: 'x', certificate: cert(b(1), ['a', 'b']) };
    // b reported what it accepted: whoever lied, it was not b (the evidence is not enough to say who).
    const truthful = {
      value: 'y',
      certificate: cert(
        b(2, 'q'),
        ['b', 'c'],
        [promise('b', { ballot: b(1), value: 'x' }), promise('c', null)],
      ),
    };
    assert.deepEqual(conflictBetween(low, truthful).liars, []);
    const sameBallot = { value: 'y', certificate: cert(b(1), ['b', 'c']) };
    assert.deepEqual(conflictBetween(low, sameBallot).liars, ['b']);
  });

  it('a node that knows an outcome and is shown another with a valid certificate keeps the first and reports the conflict', () => {
    const c = new ManualCluster(['a', 'b', 'c']);
    c.open('d', config);
    c.propose('a', 'd', 'x');
    c.settle();
    assert.equal(c.chosen('b', 'd'), 'x');
    const ready = c.step('b', {
      kind: 'receive',
      from: 'c',
      message: {
        kind: 'decided',
        decision: 'd',
        value: 'y',
        certificate: cert(b(9, 'c'), ['b', 'c'], [promise('a', null)]),
      },
    });
    assert.equal(ready.events[0]?.kind, 'conflict');
    assert.equal(ready.persist.length, 1, 'the evidence is kept on disk');
    assert.equal(c.chosen('b', 'd'), 'x');
    const state = c.core('b').decision('d');
    assert.deepEqual(state?.conflict?.liars, ['a']);
    assert.equal(state?.conflict?.value, 'y');
  });

  it('an outcome without a certificate of a majority changes nothing', () => {
    const c = new ManualCluster(['a', 'b', 'c']);
    c.open('d', config);
    const ready = c.step('b', {
      kind: 'receive',
      from: 'c',
      message: { kind: 'decided', decision: 'd', value: 'y', certificate: cert(b(9, 'c'), ['c']) },
    });
    assert.equal(ready.events[0]?.kind, 'refused');
    assert.equal(c.chosen('b', 'd'), null);
  });
});
