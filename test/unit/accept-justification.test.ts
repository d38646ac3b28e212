import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allowedValue,
  justificationProblem,
  type PaxosMessage,
  type PromiseEvidence,
} from '../../src/paxos/index.ts';

const config = { acceptors: ['a', 'b', 'c'], learners: [] };
const ballot = { round: 4, node: 'p' };
const promise = (acceptor: string, accepted: PromiseEvidence['accepted'] = null): PromiseEvidence => ({
  acceptor,
  accepted,
  signature: `sig-${acceptor}`,
});
const accept = (value: string, promises: PromiseEvidence[]): Extract<PaxosMessage, { kind: 'accept' }> => ({
  kind: 'accept',
  decision: 'd',
  ballot,
  value,
  promises,
});

describe("an Accept shows its phase 1 (the acceptor's check, without signatures)", () => {
  it('takes a majority of promises that report nothing, with any value', () => {
    assert.equal(justificationProblem(config, 2, accept('x', [promise('a'), promise('b')])), null);
  });

  it('takes the highest value the promises report, and only that one', () => {
    const low = { ballot: { round: 1, node: 'q' }, value: 'old' };
    const high = { ballot: { round: 3, node: 'q' }, value: 'newer' };
    // c is silent: with it, b's value may have been chosen at round 3.
    const promises = [promise('a', low), promise('b', high)];
    assert.equal(justificationProblem(config, 2, accept('newer', promises)), null);
    assert.match(justificationProblem(config, 2, accept('old', promises)) ?? '', /another value/);
    assert.match(justificationProblem(config, 2, accept('mine', promises)) ?? '', /another value/);
  });

  it('refuses phase 1 skipped, too few promises, promises twice from one acceptor or from a non-acceptor', () => {
    assert.match(justificationProblem(config, 2, accept('x', [])) ?? '', /phase 1 skipped/);
    assert.match(justificationProblem(config, 2, accept('x', [promise('a')])) ?? '', /1 promises where 2/);
    assert.match(
      justificationProblem(config, 2, accept('x', [promise('a'), promise('a')])) ?? '',
      /once each/,
    );
    assert.match(
      justificationProblem(config, 2, accept('x', [promise('a'), promise('z')])) ?? '',
      /once each/,
    );
  });

  it('refuses a promise that reports a ballot at or above the accept', () => {
    const same = { ballot, value: 'x' };
    assert.match(
      justificationProblem(config, 2, accept('x', [promise('a', same), promise('b')])) ?? '',
      /could not have accepted yet/,
    );
  });
});

describe('a value no quorum can have accepted', () => {
  const earlier = { round: 2, node: 'a' };
  it('reported by too few promises, with the acceptors that made none, to make a quorum: nothing was chosen', () => {
    const x = promise('a', { ballot: earlier, value: 'x' });
    // Two of three promised: c, silent, may have accepted x too; x may have been chosen.
    assert.deepEqual(allowedValue([x, promise('b')], 3, 2), { value: 'x' });
    // All three: only a accepted x, and b and c never will below this ballot: any value.
    assert.deepEqual(allowedValue([x, promise('b'), promise('c')], 3, 2), { value: null });
    assert.equal(justificationProblem(config, 2, accept('y', [x, promise('b'), promise('c')])), null);
    assert.match(justificationProblem(config, 2, accept('y', [x, promise('b')])) ?? '', /another value/);
    // Reported by two at different ballots: a quorum may have accepted it (a later ballot carries it).
    const later = promise('b', { ballot: { round: 3, node: 'b' }, value: 'x' });
    assert.deepEqual(allowedValue([x, later, promise('c')], 3, 2), { value: 'x' });
  });
});

describe('a proposer that equivocated (two values at one ballot)', () => {
  const earlier = { round: 2, node: 'm' };
  const at = (acceptor: string, value: string) => promise(acceptor, { ballot: earlier, value });
  const four = { acceptors: ['a', 'b', 'c', 'm'], learners: [] };

  it('when both values could have been chosen, no value is allowed until more acceptors answer', () => {
    // Three acceptors, two promises: a says park, b says café; c, silent, may hold either.
    const promises = [at('a', 'park'), at('b', 'cafe')];
    assert.equal(allowedValue(promises, 3, 2), null);
    for (const value of ['park', 'cafe'])
      assert.match(
        justificationProblem(config, 2, accept(value, promises)) ?? '',
        /could each have been chosen/,
      );
    // c answers: café has a majority (b and c), park cannot have one: café it is.
    assert.deepEqual(allowedValue([...promises, at('c', 'cafe')], 3, 2), { value: 'cafe' });
    assert.equal(justificationProblem(config, 2, accept('cafe', [...promises, at('c', 'cafe')])), null);
    assert.match(
      justificationProblem(config, 2, accept('park', [...promises, at('c', 'cafe')])) ?? '',
      /another value/,
    );
  });

  it('the value that alone could have been chosen is the one, counting the silent acceptors', () => {
    // Four acceptors, quorum 3; m (the equivocator) is silent: café (b, c, and maybe m) could have
    // been chosen, park (a, and maybe m) could not.
    const promises = [at('a', 'park'), at('b', 'cafe'), at('c', 'cafe')];
    assert.deepEqual(allowedValue(promises, 4, 3), { value: 'cafe' });
    assert.equal(justificationProblem(four, 3, accept('cafe', promises)), null);
    assert.match(justificationProblem(four, 3, accept('park', promises)) ?? '', /another value/);
  });

  it('when neither could have been chosen, nothing was, and any value is allowed', () => {
    const promises = [at('a', 'park'), at('b', 'cafe'), at('c', 'tea'), promise('m')];
    assert.deepEqual(allowedValue(promises, 4, 3), { value: null });
    assert.equal(justificationProblem(four, 3, accept('mine', promises)), null);
  });

  it('two values at a lower ballot, under a higher one, do not matter: the highest decides', () => {
    const promises = [
      at('a', 'park'),
      promise('b', { ballot: { round: 3, node: 'q' }, value: 'cafe' }),
      at('c', 'cafe'),
    ];
    assert.equal(justificationProblem(config, 2, accept('cafe', promises)), null);
    assert.match(justificationProblem(config, 2, accept('park', promises)) ?? '', /another value/);
  });
});
