import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  compareBallots,
  EMPTY_ACCEPTOR,
  onAccept,
  onPrepare,
  placeholderSigner,
  sameBallot,
  type AcceptorState,
  type Ballot,
} from '../../src/paxos/index.ts';

const sign = placeholderSigner('acceptor');

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
              ? onPrepare(state, 'd', op.ballot, sign)
              : onAccept(state, 'd', op.ballot, op.value, sign);
          const granted: boolean =
            op.kind === 'prepare'
              ? modelPromised === null || compareBallots(op.ballot, modelPromised) > 0
              : atLeast(op.ballot, modelPromised);
          // A second value at a ballot already accepted gets no answer at all (its proposer equivocates).
          const equivocation: boolean =
            granted &&
            op.kind === 'accept' &&
            sameBallot(before.accepted?.ballot ?? null, op.ballot) &&
            before.accepted?.value !== op.value;
          assert.equal(step.reply === null, equivocation, 'only an equivocating accept goes unanswered');
          if (step.reply === null) {
            assert.equal(step.state, before);
            continue;
          }
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
          if (step.reply.kind === 'promise') {
            assert.deepEqual(step.reply.accepted, before.accepted);
            const { decision, ballot, accepted } = step.reply;
            assert.equal(step.reply.signature, sign({ kind: 'promise', decision, ballot, accepted }));
          }
          if (step.reply.kind === 'accepted') {
            const { decision, ballot, value } = step.reply;
            assert.equal(step.reply.signature, sign({ kind: 'accepted', decision, ballot, value }));
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
