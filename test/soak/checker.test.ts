/** The soak's checker on small made-up histories: what it must catch, and what it must not blame. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { check, convergedAfter, type ViolationKind } from './checker.ts';
import type { Entry, Shown, ShownOutcome } from './history.ts';

const OPTIONS = { convergenceMs: 10_000 };

const blue: ShownOutcome = { key: 'proposal of blue by A', option: 'blue', decidedAt: 100, tally: null };
const red: ShownOutcome = { key: 'proposal of red by B', option: 'red', decidedAt: 100, tally: null };

function q(id: string, extra: Partial<Shown> = {}): Shown {
  return { id, rule: 'quick', outcome: null, myVote: null, conflict: false, ...extra };
}

/** Stamps from one relay: its sequence, and a clock that runs with it. */
const at = (seq: number) => ({ seq, at: 1_000 + seq * 10 });

function said(node: number, seq: number, shown: Shown): Entry {
  return { kind: 'said', node, stamp: at(seq), via: 'event', shown };
}

function poll(node: number, sent: number, answered: number, questions: Shown[], afterRestart = false): Entry {
  return { kind: 'poll', node, sent: at(sent), stamp: at(answered), questions, afterRestart };
}

function kinds(history: Entry[]): ViolationKind[] {
  return check(history, OPTIONS).map((v) => v.kind);
}

describe('the soak checker', () => {
  it('finds nothing wrong in a history where every node keeps what it said', () => {
    const history: Entry[] = [
      { kind: 'asked', node: 1, stamp: at(1), question: 'q1' },
      said(1, 1, q('q1')),
      said(2, 2, q('q1', { outcome: { ...blue, decidedAt: 120 } })),
      poll(1, 3, 4, [q('q1', { outcome: blue })]),
      poll(2, 3, 4, [q('q1', { outcome: { ...blue, decidedAt: 120 } })]),
      { kind: 'killed', node: 2, at: 1_050, cause: 'random' },
      poll(2, 6, 7, [q('q1', { outcome: { ...blue, decidedAt: 120 } })], true),
    ];
    assert.deepEqual(kinds(history), []);
  });

  it('catches two outcomes of one question, on two nodes or on one over time', () => {
    assert.deepEqual(kinds([said(1, 1, q('q1', { outcome: blue })), said(2, 1, q('q1', { outcome: red }))]), [
      'outcome-disagreement',
    ]);
    assert.deepEqual(kinds([said(1, 1, q('q1', { outcome: blue })), said(1, 2, q('q1', { outcome: red }))]), [
      'outcome-disagreement',
    ]);
  });

  it('catches two final tallies of one close, and a node that holds two certificates', () => {
    const close = { key: 'close by A at 5', option: 'x', decidedAt: 100, tally: 'x=2[A,B]; winner x' };
    const other = { ...close, tally: 'x=1[A] y=1[B]; winner x' };
    const vote = (outcome: ShownOutcome) => q('q1', { rule: 'vote', outcome });
    assert.deepEqual(kinds([said(1, 1, vote(close)), said(2, 1, vote(other))]), ['tally-disagreement']);
    // A tally still being fetched (null) agrees with any.
    assert.deepEqual(kinds([said(1, 1, vote(close)), said(2, 1, vote({ ...close, tally: null }))]), []);
    assert.deepEqual(kinds([said(1, 1, q('q1', { conflict: true }))]), ['safety-violation-shown']);
  });

  it('blames a node for a question only once a poll sent after its statement lacks it', () => {
    const history = [said(2, 5, q('q1')), poll(2, 4, 7, []), poll(2, 8, 9, [])];
    const violations = check(history, OPTIONS);
    assert.deepEqual(
      violations.map((v) => [v.kind, v.node, v.at]),
      [['forgot-question', 2, at(9).at]],
      'the poll sent before the event arrived may not know it yet',
    );
  });

  it('says whether the forgotten question was one the node asked itself', () => {
    const history: Entry[] = [
      { kind: 'asked', node: 1, stamp: at(1), question: 'q1' },
      said(1, 1, q('q1')),
      { kind: 'killed', node: 1, at: 1_025, cause: 'answer' },
      poll(1, 3, 4, [], true),
    ];
    const [violation] = check(history, OPTIONS);
    assert.equal(violation?.kind, 'forgot-asked-question');
    assert.match(violation?.detail ?? '', /after a restart/);
  });

  it('does not blame a node for a question only another node showed', () => {
    assert.deepEqual(kinds([said(1, 1, q('q1')), poll(2, 3, 4, [])]), []);
  });

  it('catches a forgotten outcome, a changed decision time and a forgotten vote', () => {
    const history = [
      said(1, 1, q('q1', { outcome: blue })),
      said(1, 2, q('q2', { outcome: blue })),
      said(1, 3, q('q3', { rule: 'vote', myVote: 'x' })),
      poll(1, 4, 5, [
        q('q1'),
        q('q2', { outcome: { ...blue, decidedAt: 999 } }),
        q('q3', { rule: 'vote', myVote: null }),
      ]),
    ];
    assert.deepEqual(kinds(history).sort(), ['changed-decided-at', 'forgot-outcome', 'forgot-vote']);
  });

  it('takes an event without the outcome for what it is: a moment that may be older than the answer', () => {
    assert.deepEqual(kinds([said(1, 1, q('q1', { outcome: blue })), said(1, 2, q('q1'))]), []);
  });

  it('counts a violation once per node and question, with how often the history shows it', () => {
    const history = [said(1, 1, q('q1')), poll(1, 2, 3, []), poll(1, 4, 5, []), poll(1, 6, 7, [])];
    const violations = check(history, OPTIONS);
    assert.equal(violations.length, 1);
    assert.equal(violations[0]?.occurrences, 3);
  });

  describe('convergence after the final heal', () => {
    const healed: Entry = { kind: 'healed', at: at(10).at };

    it('holds each node to everything any node showed before its last poll in the window was sent', () => {
      const history = [
        said(1, 1, q('q1', { outcome: blue })),
        healed,
        poll(1, 11, 12, [q('q1', { outcome: blue })]),
        poll(2, 11, 12, [q('q1')]),
        // Shown by node 1 after node 2's last poll was sent: node 2 is not held to it.
        said(1, 13, q('q2')),
      ];
      const violations = check(history, OPTIONS).filter((v) => v.kind === 'not-converged');
      assert.deepEqual(
        violations.map((v) => [v.node, v.question]),
        [[2, 'q1']],
      );
      assert.deepEqual(
        [...convergedAfter(history)],
        [
          [1, at(12).at - healed.at],
          [2, null],
        ],
      );
    });

    it('expects the final tally of a close on every node', () => {
      const close = { key: 'close by A at 5', option: 'x', decidedAt: 100, tally: 'x=1[A]; winner x' };
      const history = [
        healed,
        poll(1, 11, 12, [q('q1', { rule: 'vote', outcome: close })]),
        poll(2, 11, 12, [q('q1', { rule: 'vote', outcome: { ...close, tally: null } })]),
      ];
      assert.deepEqual(
        check(history, OPTIONS).map((v) => [v.kind, v.node]),
        [['not-converged', 2]],
      );
    });

    it('blames a node that answered no poll within the window', () => {
      const history = [said(1, 1, q('q1')), said(2, 1, q('q1')), healed, poll(1, 11, 12, [q('q1')])];
      assert.deepEqual(
        check(history, OPTIONS).map((v) => [v.kind, v.node, v.question]),
        [['not-converged', 2, '*']],
      );
    });
  });
});
