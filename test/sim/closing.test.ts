import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withClosing, type ClosingBug } from '../../src/sim/closing.ts';
import { generateScenario } from '../../src/sim/scenario.ts';
import { simulate } from '../../src/sim/simulation.ts';

const EXECUTIONS = 1_000;

function run(bug: ClosingBug | null, liar = false) {
  let violations = 0;
  let differentViews = 0;
  let lateVotes = 0;
  let crashes = 0;
  let decided = 0;
  let liarRefused = 0;
  const failures: string[] = [];
  for (let seed = 1; seed <= EXECUTIONS; seed++) {
    const scenario = withClosing(generateScenario(seed), bug, { liar });
    const result = simulate(scenario);
    crashes += result.faults.crashes;
    decided += result.faults.decisionsChosen;
    for (const plan of Object.values(scenario.closing ?? {})) {
      if (plan.votes.some((v) => v.castAt > Math.min(...plan.closes.map((c) => c.at)))) lateVotes++;
    }
    // Closes of one decision proposed with different views of the votes.
    const proposed = new Map<string, Set<string>>();
    const liars = new Set(Object.values(scenario.closing ?? {}).flatMap((plan) => plan.liar ?? []));
    let refused = false;
    for (const line of simulate(scenario, { trace: true }).trace) {
      if ([...liars].some((liar) => line.includes(` refuse `) && line.includes(`v=close:${liar}:`)))
        refused = true;
      const match = / closes (\S+) with (close:\S+:\d+:)(.*)$/.exec(line);
      if (match === null) continue;
      const views = proposed.get(match[1] ?? '') ?? new Set<string>();
      views.add(match[3] ?? '');
      proposed.set(match[1] ?? '', views);
    }
    differentViews += [...proposed.values()].filter((views) => views.size > 1).length;
    if (refused) liarRefused++;
    if (result.violations.length > 0) {
      violations++;
      if (failures.length < 3)
        failures.push(`seed ${seed}: ${result.violations.map((v) => `${v.kind}: ${v.detail}`).join('; ')}`);
    }
  }
  return { violations, differentViews, lateVotes, crashes, decided, liarRefused, failures };
}

describe('votes closed by Paxos, in the simulator', () => {
  it(`${EXECUTIONS} executions: closes at the same moment with different views, crashes, late votes; one final tally`, () => {
    const r = run(null);
    console.log(
      `${EXECUTIONS} executions: ${r.decided} closes decided, ${r.differentViews} decisions closed at once with different views of the votes, ${r.lateVotes} with votes cast after the close, ${r.crashes} crashes; ${r.violations} with a violation`,
    );
    assert.equal(r.violations, 0, r.failures.join('\n'));
    // The executions really contain what they claim to test.
    assert.ok(
      r.differentViews > EXECUTIONS / 4,
      `${r.differentViews} concurrent closes with different views`,
    );
    assert.ok(r.lateVotes > EXECUTIONS / 4 && r.crashes > EXECUTIONS / 4);
  });

  it('negative control: a close whose votes are read when shown, not fixed when proposed, is caught', () => {
    const r = run('set-read-late');
    console.log(`negative control set-read-late: ${r.violations} of ${EXECUTIONS} executions caught`);
    assert.ok(r.violations > 0);
  });

  it(`${EXECUTIONS} executions with a lying closer (leaving out votes, keeping replaced ones, counting a voter that does not exist): every chosen close holds what its acceptors held`, () => {
    const r = run(null, true);
    console.log(
      `${EXECUTIONS} executions with a lying closer: ${r.decided} closes decided; the liar's close refused by an acceptor in ${r.liarRefused}; ${r.violations} with a violation`,
    );
    assert.equal(r.violations, 0, r.failures.join('\n'));
    assert.ok(r.liarRefused > EXECUTIONS / 4, `the liar's closes were refused in ${r.liarRefused}`);
  });

  it('negative control: acceptors that take a close whatever it leaves out let the liar hide votes, and are caught', () => {
    const r = run('accept-omissions', true);
    console.log(`negative control accept-omissions: ${r.violations} of ${EXECUTIONS} executions caught`);
    assert.ok(r.violations > 0);
  });
});
