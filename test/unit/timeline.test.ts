import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeProposal } from '../../src/model/question.ts';
import { MAX_TIMELINES, Timelines } from '../../src/node/timeline.ts';

const accept = (decision: string, option: string) =>
  ({
    kind: 'accept',
    decision,
    ballot: { round: 0, node: 'a' },
    value: encodeProposal({ option, by: '12D3KooWBob', signature: 'A'.repeat(86) }),
    promises: [],
  }) as const;

describe('question timelines (the UI picture of a question’s messages)', () => {
  it('shows each message with its option', () => {
    const timelines = new Timelines();
    timelines.record('sent', 'b', accept('q1', 'Pizza'), 1);
    timelines.record(
      'received',
      'b',
      { kind: 'nack', decision: 'q1', ballot: { round: 0, node: 'a' }, promised: { round: 2, node: 'b' } },
      2,
    );
    assert.deepEqual(timelines.of('q1'), [
      {
        at: 1,
        direction: 'sent',
        peer: 'b',
        kind: 'accept',
        ballot: { round: 0, node: 'a' },
        option: 'Pizza',
        promised: null,
      },
      {
        at: 2,
        direction: 'received',
        peer: 'b',
        kind: 'nack',
        ballot: { round: 0, node: 'a' },
        option: null,
        promised: { round: 2, node: 'b' },
      },
    ]);
  });

  it(`keeps the ${MAX_TIMELINES} most recently active questions, not the whole history`, () => {
    const timelines = new Timelines();
    for (let i = 0; i < MAX_TIMELINES + 10; i++) {
      timelines.record('sent', 'b', accept(`q${i}`, 'x'));
      // q0 stays active: it is kept although it is the oldest.
      timelines.record('sent', 'c', accept('q0', 'x'));
    }
    assert.ok(timelines.of('q0').length > 0);
    assert.equal(timelines.of('q1').length, 0);
    assert.equal(timelines.of(`q${MAX_TIMELINES + 9}`).length, 1);
    const kept = Array.from({ length: MAX_TIMELINES + 10 }, (_, i) => timelines.of(`q${i}`).length > 0);
    assert.equal(kept.filter(Boolean).length, MAX_TIMELINES);
  });
});
