import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_ACCEPTOR, onAccept, onPrepare, type Ballot } from '../../src/paxos/index.ts';

const b = (round: number, node = 'p'): Ballot => ({ round, node });

describe('acceptor', () => {
  it('promises a ballot above anything promised, reporting nothing accepted yet, and must persist first', () => {
    const step = onPrepare(EMPTY_ACCEPTOR, 'd', b(1));
    assert.deepEqual(step.reply, { kind: 'promise', decision: 'd', ballot: b(1), accepted: null });
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
    assert.equal(onPrepare(promised, 'd', b(5, 'b')).reply.kind, 'promise');
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
    });
  });

  it('accepts at its promised ballot or above, raising the promise', () => {
    const promised = onPrepare(EMPTY_ACCEPTOR, 'd', b(2)).state;
    const same = onAccept(promised, 'd', b(2), 'x');
    assert.deepEqual(same.reply, { kind: 'accepted', decision: 'd', ballot: b(2), value: 'x' });
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
    assert.equal(again.reply.kind, 'accepted');
    assert.equal(again.mustPersist, false);
  });
});
