import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SynodCore, type DurableDecision, type PaxosMessage } from '../../src/paxos/index.ts';
import type { StateLog } from '../../src/storage/index.ts';
import { PaxosDriver } from '../../src/node/durable/paxos-driver.ts';

/** A state log whose fsyncs complete only when the test says so. */
function controlledLog() {
  const pending: { records: readonly DurableDecision[]; resolve: () => void; reject: (e: Error) => void }[] =
    [];
  const log = {
    write(records: readonly DurableDecision[]) {
      if (records.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => pending.push({ records, resolve, reject }));
    },
  } as unknown as StateLog<DurableDecision>;
  return { log, pending };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** An acceptor 'b' whose sends and failures are recorded and whose fsyncs the test completes. */
function acceptorB() {
  const { log, pending } = controlledLog();
  const sent: PaxosMessage[] = [];
  const failures: Error[] = [];
  const driver = new PaxosDriver(new SynodCore('b'), log, {
    send: (_to, m) => sent.push(m),
    event: () => {},
    failed: (e) => failures.push(e),
  });
  return { driver, pending, sent, failures };
}
const config = { acceptors: ['a', 'b', 'c'], learners: [] };
const decision = 'd';

describe('PaxosDriver: persist, then send', () => {
  it('an acceptor sends its promise only after the promise is on disk', async () => {
    const { driver, pending, sent } = acceptorB();
    driver.input({ kind: 'open', decision, config });
    driver.input({
      kind: 'receive',
      from: 'a',
      message: { kind: 'prepare', decision, ballot: { round: 1, node: 'a' } },
    });
    await tick();
    assert.equal(sent.length, 0, 'nothing leaves before the fsync');
    assert.equal(pending.length, 2);
    pending[0]?.resolve();
    await tick();
    assert.equal(sent.length, 0, 'the promise waits for its own write, not only the earlier one');
    pending[1]?.resolve();
    await tick();
    assert.deepEqual(
      sent.map((m) => m.kind),
      ['promise'],
    );
  });

  it('a reply that needs no write still waits behind earlier unsynced writes', async () => {
    const { driver, pending, sent } = acceptorB();
    driver.input({ kind: 'open', decision, config });
    pending[0]?.resolve();
    await tick();
    const prepare: PaxosMessage = { kind: 'prepare', decision, ballot: { round: 1, node: 'a' } };
    driver.input({ kind: 'receive', from: 'a', message: prepare }); // writes the promise
    driver.input({ kind: 'receive', from: 'a', message: prepare }); // a duplicate: a nack, no write
    await tick();
    assert.equal(sent.length, 0, 'the nack reveals the promise, so it waits for it');
    pending[1]?.resolve();
    await tick();
    assert.deepEqual(
      sent.map((m) => m.kind),
      ['promise', 'nack'],
    );
  });

  it('when a write fails the node stops: nothing is sent, later input is ignored, and it says so', async () => {
    const { driver, pending, sent, failures } = acceptorB();
    driver.input({ kind: 'open', decision, config });
    driver.input({
      kind: 'receive',
      from: 'a',
      message: { kind: 'prepare', decision, ballot: { round: 1, node: 'a' } },
    });
    pending[0]?.resolve();
    pending[1]?.reject(new Error('EIO: disk gone'));
    await tick();
    assert.equal(sent.length, 0);
    assert.equal(driver.failed, true);
    assert.match(failures[0]?.message ?? '', /EIO/);
    driver.input({
      kind: 'receive',
      from: 'c',
      message: { kind: 'prepare', decision, ballot: { round: 2, node: 'c' } },
    });
    await tick();
    assert.equal(pending.length, 2, 'no further step was taken');
  });
});

describe('PaxosDriver: after a restart', () => {
  it('resumes a proposal that was under way without waiting for any input', async () => {
    const { log, pending } = controlledLog();
    const restored: DurableDecision = {
      id: decision,
      config,
      promised: null,
      accepted: null,
      roundUsed: 2,
      proposal: 'mine',
      chosen: null,
      certificate: null,
      conflict: null,
    };
    const core = SynodCore.recover('a', [restored], { now: Date.now(), random: () => 0.5 });
    const sent: PaxosMessage[] = [];
    const driver = new PaxosDriver(core, log, {
      send: (_to, m) => sent.push(m),
      event: () => {},
      failed: () => {},
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Round 3 is persisted first, then its Prepares leave: no input was needed to get here.
    assert.equal(pending[0]?.records[0]?.roundUsed, 3);
    pending[0]?.resolve();
    await tick();
    assert.deepEqual(
      sent.map((m) => m.kind),
      ['prepare', 'prepare'],
    );
    // Its own acceptor's promise is the next write; complete every write so that stop() can finish.
    const stopped = driver.stop();
    for (let i = 0; i < 5; i++) {
      pending.splice(0).forEach((w) => w.resolve());
      await tick();
    }
    await stopped;
  });
});
