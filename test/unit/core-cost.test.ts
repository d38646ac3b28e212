import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_CORE_OPTIONS,
  SynodCore,
  type DecisionConfig,
  type DurableDecision,
  type Envelope,
} from '../../src/paxos/index.ts';

const THREE: DecisionConfig = { acceptors: ['a', 'b', 'c'], learners: [] };

function durable(id: string, chosen: string | null): DurableDecision {
  return {
    id,
    config: THREE,
    promised: null,
    accepted: null,
    roundUsed: 0,
    proposal: null,
    chosen,
    certificate: null,
    conflict: null,
  };
}

/** Ticks `core` at every due time until `until`, returning every message it sent. */
function runTimers(core: SynodCore, until: number): Envelope[] {
  const sent: Envelope[] = [];
  for (let due = core.nextTimer(); due !== null && due <= until; due = core.nextTimer()) {
    sent.push(...core.step({ kind: 'tick' }, { now: due, random: () => 0.5 }).send);
  }
  return sent;
}

describe('core: an idle node costs nothing, whatever its history', () => {
  it('a decided question has no timer; an undecided one only while it catches up', () => {
    const records = [durable('decided', 'x'), durable('open', null)];
    const options = {
      ...DEFAULT_CORE_OPTIONS,
      catchUp: { ...DEFAULT_CORE_OPTIONS.catchUp, afterRestart: true },
    };
    const core = SynodCore.recover('a', records, { now: 0, random: () => 0.5 }, options);
    assert.equal(core.activeDecisions, 1, 'only the undecided question asks its peers');
    const sent = runTimers(core, 24 * 3600_000);
    const queries = sent.filter((e) => e.message.kind === 'query');
    assert.ok(queries.every((e) => e.message.decision === 'open'));
    // It asks each other acceptor a bounded number of times, then stops for good.
    assert.equal(queries.length, DEFAULT_CORE_OPTIONS.catchUp.maxAttempts * 2);
    assert.equal(core.nextTimer(), null);
    assert.equal(core.activeDecisions, 0);
  });

  it('a real node restarts without asking about its open questions, but resumes its own proposal', () => {
    // Its peers send the outcomes it lacks when they connect (catalog sync); see CoreOptions.catchUp.
    const mine = { ...durable('mine', null), proposal: 'v', roundUsed: 3 };
    const records = [durable('decided', 'x'), durable('open', null), mine];
    const core = SynodCore.recover('a', records, { now: 0, random: () => 0.5 });
    assert.equal(core.activeDecisions, 1);
    const sent = runTimers(core, 0);
    assert.ok(
      sent.length > 0 && sent.every((e) => e.message.kind === 'prepare' && e.message.decision === 'mine'),
    );
    assert.ok(
      sent.every((e) => e.message.kind === 'prepare' && e.message.ballot.round === 4),
      'above round 3',
    );
  });

  it('with 10,000 questions in its history, a tick steps only the decisions under way', () => {
    const records = Array.from({ length: 10_000 }, (_, i) => durable(`q${i}`, 'x'));
    const core = SynodCore.recover('a', records, { now: 0, random: () => 0.5 });
    core.step({ kind: 'open', decision: 'new', config: THREE }, { now: 0, random: () => 0.5 });
    assert.equal(core.activeDecisions, 0, 'a question just opened costs no timer');
    const ready = core.step({ kind: 'propose', decision: 'new', value: 'v' }, { now: 0, random: () => 0.5 });
    assert.deepEqual(
      ready.send.map((e) => e.message.kind),
      ['prepare', 'prepare', 'prepare'],
    );
    // A tick at the phase deadline touches the one proposal, not the 10,000 decided questions.
    const tick = core.step({ kind: 'tick' }, { now: 60_000, random: () => 0.5 });
    assert.ok(tick.persist.every((r) => r.id === 'new'));
    assert.ok(tick.send.every((e) => e.message.decision === 'new'));
  });

  it('2,000 questions learned and never touched cost no timer and no message', () => {
    const core = new SynodCore('a');
    for (let i = 0; i < 2_000; i++) {
      core.step({ kind: 'open', decision: `q${i}`, config: THREE }, { now: 0, random: () => 0.5 });
    }
    assert.equal(core.activeDecisions, 0);
    assert.equal(core.nextTimer(), null);
    assert.deepEqual(runTimers(core, 24 * 3600_000), []);
  });

  it('a proposal under way keeps its timer after catch-up has ended', () => {
    const core = new SynodCore('a');
    core.step({ kind: 'open', decision: 'd', config: THREE }, { now: 0, random: () => 0.5 });
    runTimers(core, 10 * 60_000);
    assert.equal(core.nextTimer(), null);
    core.step({ kind: 'propose', decision: 'd', value: 'v' }, { now: 10 * 60_000, random: () => 0.5 });
    assert.notEqual(core.nextTimer(), null, 'the proposer retries until it is decided');
    // Nobody answers: it keeps retrying with new ballots, and never asks for catch-up again.
    const sent = runTimers(core, 20 * 60_000);
    assert.ok(sent.some((e) => e.message.kind === 'prepare'));
    assert.ok(!sent.some((e) => e.message.kind === 'query'));
  });
});
