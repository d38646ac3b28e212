/**
 * Proposers that see only a minority of a decision's acceptors (or exactly half of an even set) decide
 * nothing, however long they retry; once the network heals they decide. Checked twice: by the oracle,
 * which counts Accepted messages against the fixed acceptor set, and by a plain look at what every node
 * reported and when.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isolatedMinority, MINORITY_ISOLATED_MS, type InjectedBug } from '../../src/sim/scenario.ts';
import { simulate, type SimulationResult } from '../../src/sim/simulation.ts';

const SIZES = [2, 3, 4, 5, 6, 7];

function run(acceptorCount: number, bug: InjectedBug | null = null): SimulationResult {
  return simulate(isolatedMinority(acceptorCount, bug), { trace: true });
}

/** Outcomes anybody reported, or a quorum reached, while the proposers were cut off. */
function decidedWhileIsolated(result: SimulationResult): string[] {
  const early = result.reported
    .filter((r) => r.at < MINORITY_ISOLATED_MS)
    .map((r) => `${r.node} reported ${r.value} at ${r.at} ms`);
  const chosenAt = result.chosenAt['d1'];
  if (chosenAt !== undefined && chosenAt < MINORITY_ISOLATED_MS) early.push(`chosen at ${chosenAt} ms`);
  return early;
}

describe('proposers cut off with a minority of the acceptors', () => {
  for (const size of SIZES) {
    const seen = Math.floor(size / 2);
    it(`${size} acceptors, ${seen} reachable: nothing is decided until the network heals, then all decide`, () => {
      const result = run(size);
      assert.deepEqual(result.violations, []);
      assert.deepEqual(decidedWhileIsolated(result), []);
      // They did try, round after round: their Prepares went to the other side and were cut.
      const rounds = new Set(
        result.trace.flatMap((line) => /cut \S+ prepare d1 b=(\S+)/.exec(line)?.[1] ?? []),
      );
      assert.ok(rounds.size >= 3, `${rounds.size} rounds tried while isolated`);
      // After healing, one proposed value reaches every node, acceptors and the non-voting member alike.
      const values = new Set(result.reported.map((r) => r.value));
      const nodes = new Set(result.reported.map((r) => r.node));
      assert.equal(values.size, 1);
      assert.match([...values][0] ?? '', /^d1-(a\d|m)$/);
      assert.equal(nodes.size, size + 1);
    });
  }

  it('negative control: with a quorum of one, the cut-off side decides, and both checks see it', () => {
    for (const size of SIZES) {
      const result = run(size, 'quorum-of-one');
      assert.ok(decidedWhileIsolated(result).length > 0, `${size} acceptors: decided while isolated`);
      assert.ok(
        result.violations.some((v) => v.kind === 'unchosen-learned'),
        `${size} acceptors: the oracle reports an outcome no true quorum accepted`,
      );
    }
  });

  it('negative control: counting half of an even set as a quorum is caught; for odd sets it is the real quorum', () => {
    for (const size of SIZES) {
      const result = run(size, 'half-is-quorum');
      const caught = decidedWhileIsolated(result).length > 0;
      assert.equal(caught, size % 2 === 0, `${size} acceptors`);
      assert.equal(
        result.violations.some((v) => v.kind === 'unchosen-learned'),
        size % 2 === 0,
        `${size} acceptors: oracle`,
      );
    }
  });
});
