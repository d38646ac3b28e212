import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  compareBallots,
  EMPTY_ACCEPTOR,
  onAccept,
  onPrepare,
  type AcceptorState,
  type Ballot,
} from '../../src/paxos/index.ts';

const ballot = fc.record(
  { round: fc.integer({ min: 1, max: 6 }), node: fc.constantFrom('a', 'b', 'c') },
  { noNullPrototype: true },
);
const operation = fc.oneof(
  fc.record({ kind: fc.constant('prepare' as const), ballot }),
  fc.record({ kind: fc.constant('accept' as const), ballot, value: fc.constantFrom('x', 'y', 'z') }),
);

const atLeast = (a: Ballot, b: Ballot | null) => b === null || compareBallots(a, b) >= 0;

describe('acceptor against a model', () => {
  it('for any sequence of prepares and accepts: the promise never falls, replies match the rules, and writes precede every change', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (ops) => {
        let state: AcceptorState = EMPTY_ACCEPTOR;
        // The model: the highest ballot seen in an answered prepare or accept, and the last accepted proposal.
        let modelPromised: Ballot | null = null;
        for (const op of ops) {
          const before = state;
          const step =
            op.kind === 'prepare'
              ? onPrepare(state, 'd', op.ballot)
              : onAccept(state, 'd', op.ballot, op.value);
          const granted: boolean =
            op.kind === 'prepare'
              ? modelPromised === null || compareBallots(op.ballot, modelPromised) > 0
              : atLeast(op.ballot, modelPromised);
          assert.equal(
            step.reply.kind !== 'nack',
            granted,
            `${op.kind} ${JSON.stringify(op.ballot)} after ${JSON.stringify(modelPromised)}`,
          );
          if (granted) modelPromised = op.ballot;
          state = step.state;
          assert.deepEqual(state.promised, modelPromised, 'the promise is exactly the model’s');
          if (state.promised !== null && before.promised !== null)
            assert.ok(compareBallots(state.promised, before.promised) >= 0);
          if (state.accepted !== null)
            assert.ok(atLeast(state.promised ?? state.accepted.ballot, state.accepted.ballot));
          if (op.kind === 'accept' && granted)
            assert.deepEqual(state.accepted, { ballot: op.ballot, value: op.value });
          // Any change of state must be written before the reply leaves.
          if (JSON.stringify(state) !== JSON.stringify(before)) assert.equal(step.mustPersist, true);
          if (step.reply.kind === 'nack') assert.deepEqual(step.reply.promised, before.promised);
          if (step.reply.kind === 'promise') assert.deepEqual(step.reply.accepted, before.accepted);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
