import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFault, planFaults } from './faults.ts';

describe('the soak fault plan', () => {
  it('is the same for the same seed, and stays within its time', () => {
    const plan = planFaults(42, 5, 3_000, 150_000);
    assert.deepEqual(plan, planFaults(42, 5, 3_000, 150_000));
    assert.notDeepEqual(plan, planFaults(43, 5, 3_000, 150_000));
    assert.ok(plan.length > 20 && plan.length < 300, `${plan.length} faults`);
    assert.ok(
      plan.every((f, i) => f.at > 3_000 && f.at < 150_000 && (i === 0 || f.at > (plan[i - 1]?.at ?? 0))),
    );
  });

  it('cuts off a minority in every partition, never the whole group', () => {
    for (const fault of planFaults(7, 5, 0, 600_000)) {
      if (fault.kind !== 'partition') continue;
      const onMainSide = fault.sides.slice(1).filter((side) => side === 0).length;
      assert.ok(onMainSide >= 2 && onMainSide < 5, describeFault(fault));
    }
  });
});
