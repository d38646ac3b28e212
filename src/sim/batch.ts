import type { Violation } from './oracle.ts';
import type { FaultCounts } from './simulation.ts';
import { generateScenario, type InjectedBug } from './scenario.ts';
import { simulate } from './simulation.ts';

export interface BatchFailure {
  readonly seed: number;
  readonly violations: readonly Violation[];
}

export interface BatchResult {
  readonly runs: number;
  readonly steps: number;
  readonly messages: number;
  readonly faults: FaultCounts;
  readonly failures: readonly BatchFailure[];
}

const noFaults = (): FaultCounts => ({ crashes: 0, lost: 0, duplicated: 0, cut: 0, decisionsChosen: 0 });

function addFaults(total: FaultCounts, more: FaultCounts): FaultCounts {
  return {
    crashes: total.crashes + more.crashes,
    lost: total.lost + more.lost,
    duplicated: total.duplicated + more.duplicated,
    cut: total.cut + more.cut,
    decisionsChosen: total.decisionsChosen + more.decisionsChosen,
  };
}

/** Runs the seeds [firstSeed, firstSeed + count) and collects every execution the oracle rejected. */
export function runBatch(firstSeed: number, count: number, bug: InjectedBug | null = null): BatchResult {
  const failures: BatchFailure[] = [];
  let steps = 0;
  let messages = 0;
  let faults = noFaults();
  for (let seed = firstSeed; seed < firstSeed + count; seed++) {
    const result = simulate(generateScenario(seed, bug));
    steps += result.steps;
    messages += result.messages;
    faults = addFaults(faults, result.faults);
    if (result.violations.length > 0) failures.push({ seed, violations: result.violations });
  }
  return { runs: count, steps, messages, faults, failures };
}

export function mergeBatches(results: readonly BatchResult[]): BatchResult {
  return {
    runs: results.reduce((n, r) => n + r.runs, 0),
    steps: results.reduce((n, r) => n + r.steps, 0),
    messages: results.reduce((n, r) => n + r.messages, 0),
    faults: results.map((r) => r.faults).reduce(addFaults, noFaults()),
    failures: results.flatMap((r) => r.failures),
  };
}
