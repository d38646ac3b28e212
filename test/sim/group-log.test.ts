import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulateGroupLog, type GroupBug } from '../../src/sim/group-log.ts';

const EXECUTIONS = 300;

function run(bug: GroupBug | null) {
  const totals = {
    violations: 0,
    converged: 0,
    slots: 0,
    removals: 0,
    joins: 0,
    refused: 0,
    crashes: 0,
    hostileRemoved: 0,
  };
  const failures: string[] = [];
  for (let seed = 1; seed <= EXECUTIONS; seed++) {
    const r = simulateGroupLog(seed, bug);
    if (r.violations.length > 0) {
      totals.violations++;
      if (failures.length < 3) failures.push(`seed ${seed}: ${r.violations.join('; ')}`);
    }
    if (r.converged) totals.converged++;
    totals.slots += r.slots;
    totals.removals += r.removals;
    totals.joins += r.joins;
    totals.refused += r.refused;
    totals.crashes += r.crashes;
    if (r.hostileRemoved) totals.hostileRemoved++;
  }
  return { ...totals, failures };
}

describe('the group log, in the simulator', () => {
  it(`${EXECUTIONS} executions: renames, invites and joins, leaves and removals under loss, partitions and crashes; one sequence of epochs`, () => {
    const r = run(null);
    console.log(
      `${EXECUTIONS} executions: ${r.slots} slots chosen, ${r.joins} joins, ${r.removals} removals (the hostile member's in ${r.hostileRemoved}), ${r.refused} invalid changes refused, ${r.crashes} crashes; ${r.violations} with a violation, ${r.converged} converged`,
    );
    assert.equal(r.violations, 0, r.failures.join('\n'));
    assert.equal(r.converged, EXECUTIONS);
    // The executions really contain what they claim to test.
    assert.ok(r.slots > EXECUTIONS * 4, `${r.slots} slots`);
    assert.ok(
      r.joins > EXECUTIONS / 2 && r.removals > EXECUTIONS / 2,
      `${r.joins} joins, ${r.removals} removals`,
    );
    assert.ok(r.hostileRemoved > EXECUTIONS / 10, `the hostile member removed in ${r.hostileRemoved}`);
    assert.ok(r.refused > 0 && r.crashes > EXECUTIONS / 2);
  });

  const controls: [GroupBug, string, number][] = [
    ['apply-early', 'a proposer applies its change before it is chosen', 0.9],
    ['removed-approval-counted', 'the target’s approval of its own removal counts', 0.5],
    ['wrong-epoch-acceptors', 'each slot run by the acceptors of the epoch before', 0.1],
  ];
  for (const [bug, what, share] of controls) {
    it(`negative control: ${what} (${bug}) is caught`, () => {
      const r = run(bug);
      console.log(`${bug}: caught in ${r.violations} of ${EXECUTIONS} executions`);
      assert.ok(r.violations >= EXECUTIONS * share, `caught in only ${r.violations}`);
    });
  }
});
