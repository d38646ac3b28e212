import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_ACCEPTOR,
  MAX_ROUND_JUMP,
  onAccept as acceptWith,
  onPrepare as prepareWith,
  placeholderSigner,
  type AcceptorState,
  type Ballot,
  type Value,
} from '../../src/paxos/index.ts';

const b = (round: number, node = 'p'): Ballot => ({ round, node });
const sign = placeholderSigner('acceptor');
const onPrepare = (state: AcceptorState, d: string, ballot: Ballot) => prepareWith(state, d, ballot, sign);
const onAccept = (state: AcceptorState, d: string, ballot: Ballot, value: Value) =>
  acceptWith(state, d, ballot, value, sign);
const promiseSig = (ballot: Ballot, accepted: { ballot: Ballot; value: Value } | null) =>
  sign({ kind: 'promise', decision: 'd', ballot, accepted });

describe('acceptor', () => {
  it('promises a ballot above anything promised, reporting nothing accepted yet, and must persist first', () => {
    const step = onPrepare(EMPTY_ACCEPTOR, 'd', b(1));
    assert.deepEqual(step.reply, {
      kind: 'promise',
      decision: 'd',
      ballot: b(1),
      accepted: null,
      signature: promiseSig(b(1), null),
    });
    assert.deepEqual(step.state.promised, b(1));
    assert.equal(step.mustPersist, true);
  });

  it('refuses a prepare at or below its promise with a nack naming the promise (always answers)', () => {
    const promised = onPrepare(EMPTY_ACCEPTOR, 'd', b(5, 'q')).state;
    for (const ballot of [b(5, 'q'), b(5, 'a'), b(4, 'z')]) {
      const step = onPrepare(promised, 'd', ballot);
      assert.deepEqual(step.reply, { kind: 'nack', decision: 'd', ballot, promised: b(5, 'q') });
      assert.equal(step.state, promised);
      assert.equal(step.mustPersist, false);
    }
  });

  it('orders ballots by round, then by node id', () => {
    const promised = onPrepare(EMPTY_ACCEPTOR, 'd', b(5, 'a')).state;
    assert.equal(onPrepare(promised, 'd', b(5, 'b')).reply?.kind, 'promise');
  });

  it('reports its highest accepted proposal in later promises', () => {
    let state = onPrepare(EMPTY_ACCEPTOR, 'd', b(1)).state;
    state = onAccept(state, 'd', b(1), 'x').state;
    const step = onPrepare(state, 'd', b(2, 'q'));
    assert.deepEqual(step.reply, {
      kind: 'promise',
      decision: 'd',
      ballot: b(2, 'q'),
      accepted: { ballot: b(1), value: 'x' },
      signature: promiseSig(b(2, 'q'), { ballot: b(1), value: 'x' }),
    });
  });

  it('accepts at its promised ballot or above, raising the promise', () => {
    const promised = onPrepare(EMPTY_ACCEPTOR, 'd', b(2)).state;
    const same = onAccept(promised, 'd', b(2), 'x');
    assert.deepEqual(same.reply, {
      kind: 'accepted',
      decision: 'd',
      ballot: b(2),
      value: 'x',
      signature: sign({ kind: 'accepted', decision: 'd', ballot: b(2), value: 'x' }),
    });
    assert.equal(same.mustPersist, true);
    const higher = onAccept(promised, 'd', b(3, 'q'), 'y');
    assert.deepEqual(higher.state, { promised: b(3, 'q'), accepted: { ballot: b(3, 'q'), value: 'y' } });
  });

  it('refuses an accept below its promise and keeps its state', () => {
    const promised = onPrepare(EMPTY_ACCEPTOR, 'd', b(3, 'q')).state;
    const step = onAccept(promised, 'd', b(2), 'x');
    assert.deepEqual(step.reply, { kind: 'nack', decision: 'd', ballot: b(2), promised: b(3, 'q') });
    assert.equal(step.state, promised);
  });

  it('answers a duplicated accept again without a new write', () => {
    const accepted = onAccept(onPrepare(EMPTY_ACCEPTOR, 'd', b(1)).state, 'd', b(1), 'x').state;
    const again = onAccept(accepted, 'd', b(1), 'x');
    assert.equal(again.reply?.kind, 'accepted');
    assert.equal(again.mustPersist, false);
  });

  it('never signs a second value at a ballot it accepted (the proposer equivocates): no answer, no change', () => {
    const accepted = onAccept(onPrepare(EMPTY_ACCEPTOR, 'd', b(1)).state, 'd', b(1), 'x').state;
    const step = onAccept(accepted, 'd', b(1), 'y');
    assert.equal(step.reply, null);
    assert.equal(step.state, accepted);
    assert.equal(step.mustPersist, false);
  });

  it('refuses a prepare or accept whose round jumps too far above what it has seen, so rounds stay in reach', () => {
    const promised = onPrepare(EMPTY_ACCEPTOR, 'd', b(3)).state;
    for (const step of [
      onPrepare(promised, 'd', b(3 + MAX_ROUND_JUMP + 1, 'q')),
      onAccept(promised, 'd', b(Number.MAX_SAFE_INTEGER, 'q'), 'x'),
    ]) {
      assert.equal(step.reply, null);
      assert.equal(step.state, promised);
    }
    assert.equal(onPrepare(promised, 'd', b(3 + MAX_ROUND_JUMP, 'q')).reply?.kind, 'promise');
  });
});
