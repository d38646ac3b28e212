import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { justificationProblem, type PaxosMessage, type PromiseEvidence } from '../../src/paxos/index.ts';

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
    const promises = [promise('a', low), promise('b', high), promise('c')];
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
