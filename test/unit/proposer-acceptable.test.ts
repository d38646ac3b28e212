import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IDLE_PROPOSER,
  justificationProblem,
  onPromise,
  onTimer,
  reviseProposal,
  startRound,
  type Ballot,
  type ProposerContext,
  type PromiseEvidence,
} from '../../src/paxos/index.ts';

/**
 * A proposer whose phase 1 would bind it to a value the acceptors refuse (a close of a vote that leaves
 * out votes they hold) looks for a majority of promises that accepted nothing, which leaves it free;
 * and a node may replace its proposal for the ballots to come.
 */
const ctx = (acceptable?: (value: string) => boolean): ProposerContext => ({
  self: 'a',
  decision: 'd',
  config: { acceptors: ['a', 'b', 'c'], learners: [], firstProposer: 'a' },
  now: 0,
  random: () => 0.5,
  phaseTimeoutMs: 1_000,
  backoff: { baseMs: 10, maxMs: 100 },
  quorum: 2,
  floorRound: 0,
  holdsFirstBallot: true,
  acceptable,
});

const stale = { ballot: { round: 0, node: 'a' }, value: 'old close' };
const promise = (acceptor: string, accepted: typeof stale | null): PromiseEvidence => ({
  acceptor,
  accepted,
  signature: `${acceptor}`,
});

function preparing(acceptable?: (value: string) => boolean) {
  const c = ctx(acceptable);
  const started = startRound({ ...IDLE_PROPOSER, proposal: 'merged close' }, c);
  const phase = started.state.phase;
  assert.equal(phase.name, 'preparing');
  return { c, state: started.state, ballot: (phase as { ballot: Ballot }).ballot };
}

describe('a proposer bound to a value the acceptors refuse', () => {
  it('control: without the rule it takes the reported value at once (Paxos as usual)', () => {
    const { c, state, ballot } = preparing();
    const first = onPromise(state, 'a', ballot, promise('a', stale), c);
    const second = onPromise(first.state, 'b', ballot, promise('b', null), c);
    assert.equal(second.state.phase.name, 'accepting');
    assert.equal((second.state.phase as { value: string }).value, 'old close');
  });

  it('waits for the promises that show the value cannot have been chosen, and proposes its own', () => {
    const { c, state, ballot } = preparing((value) => value !== 'old close');
    const first = onPromise(state, 'a', ballot, promise('a', stale), c);
    const second = onPromise(first.state, 'b', ballot, promise('b', null), c);
    assert.equal(second.state.phase.name, 'preparing', 'the old close may still have been chosen: it waits');
    const third = onPromise(second.state, 'c', ballot, promise('c', null), c);
    assert.equal(third.state.phase.name, 'accepting');
    const accept = third.send[0]?.message;
    assert.ok(accept?.kind === 'accept');
    assert.equal(accept.value, 'merged close');
    assert.deepEqual(
      accept.promises.map((p) => p.acceptor),
      ['a', 'b', 'c'],
    );
    // Only a accepted the old close, and b and c never will below this ballot: it was not chosen.
    // The acceptors' own check of the justification agrees: any value is allowed by it.
    assert.equal(justificationProblem(c.config, 2, accept), null);
  });

  it('with every promise in and no such majority, it keeps to the reported value (it may have been chosen)', () => {
    const { c, state, ballot } = preparing((value) => value !== 'old close');
    let s = onPromise(state, 'a', ballot, promise('a', stale), c).state;
    s = onPromise(s, 'b', ballot, promise('b', stale), c).state;
    assert.equal(s.phase.name, 'preparing');
    const last = onPromise(s, 'c', ballot, promise('c', null), c);
    assert.equal((last.state.phase as { value?: string }).value, 'old close');
  });

  it('at the deadline of its phase 1, it goes on with the value the promises it has allow', () => {
    const { c, state, ballot } = preparing((value) => value !== 'old close');
    let s = onPromise(state, 'a', ballot, promise('a', stale), c).state;
    s = onPromise(s, 'b', ballot, promise('b', null), c).state;
    assert.equal(s.phase.name, 'preparing');
    const late = onTimer(s, { ...c, now: c.now + c.phaseTimeoutMs });
    assert.equal(late.state.phase.name, 'accepting');
    assert.equal((late.state.phase as { value?: string }).value, 'old close');
  });
});

describe('a revised proposal', () => {
  it('is used from a new ballot above round 0, at once, and persisted before it leaves', () => {
    const c = ctx();
    const revised = reviseProposal({ ...IDLE_PROPOSER, proposal: 'first close' }, 'second close', c);
    assert.equal(revised.state.proposal, 'second close');
    assert.equal(revised.mustPersist, true);
    const phase = revised.state.phase;
    assert.ok(phase.name === 'preparing' && phase.ballot.round >= 1);
    assert.ok(revised.send.every((e) => e.message.kind === 'prepare'));
    assert.equal(reviseProposal(revised.state, 'second close', c).send.length, 0, 'the same value: nothing');
  });
});
