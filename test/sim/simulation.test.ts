import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runBatch } from '../../src/sim/batch.ts';
import type { ViolationKind } from '../../src/sim/oracle.ts';
import { generateScenario, LIAR, type InjectedBug, type Scenario } from '../../src/sim/scenario.ts';
import { simulate } from '../../src/sim/simulation.ts';

const EXECUTIONS = 5_000;

function kindsFound(bug: InjectedBug, runs: number): Set<ViolationKind> {
  const result = runBatch(1, runs, bug);
  console.log(`negative control ${bug}: ${result.failures.length} of ${runs} executions caught`);
  return new Set(result.failures.flatMap((f) => f.violations.map((v) => v.kind)));
}

describe('deterministic simulation', () => {
  it(`${EXECUTIONS} seeded executions with loss, duplication, reordering, partitions and crashes: no violation`, () => {
    const result = runBatch(1, EXECUTIONS);
    const f = result.faults;
    console.log(
      `${result.runs} executions: ${result.messages} messages, ${f.crashes} crashes, ${f.lost} lost, ` +
        `${f.duplicated} duplicated, ${f.cut} cut, ${f.decisionsChosen} decisions reached`,
    );
    const detail = result.failures
      .slice(0, 3)
      .map((x) => `seed ${x.seed}: ${x.violations.map((v) => `${v.kind}: ${v.detail}`).join('; ')}`)
      .join('\n');
    assert.equal(result.failures.length, 0, `replay with npm run sim -- --seed N\n${detail}`);
    // The executions really went through the faults they claim to test.
    assert.ok(
      f.crashes > EXECUTIONS / 2 && f.lost > EXECUTIONS && f.duplicated > EXECUTIONS && f.cut > EXECUTIONS,
    );
    // And they reached decisions (liveness is checked in each execution after the network heals).
    const scheduled = Array.from(
      { length: EXECUTIONS },
      (_, i) => generateScenario(i + 1).decisions.length,
    ).reduce((a, b) => a + b, 0);
    assert.ok(f.decisionsChosen >= scheduled * 0.9, `${f.decisionsChosen} of ${scheduled} decisions reached`);
  });

  it('the executions include even acceptor sets (2, 4, 6) and duels on a network with fixed delays', () => {
    const scenarios = Array.from({ length: EXECUTIONS }, (_, i) => generateScenario(i + 1));
    const sizes = new Set(scenarios.flatMap((s) => s.decisions.map((d) => d.config.acceptors.length)));
    for (const size of [2, 3, 4, 5, 6, 7]) assert.ok(sizes.has(size), `acceptor sets of ${size}`);
    const duels = scenarios.filter((s) => s.family === 'duel');
    assert.ok(duels.length >= EXECUTIONS / 20, `${duels.length} duels`);
    assert.ok(duels.every((s) => s.decisions[0] !== undefined && s.decisions[0].proposals.length >= 2));
  });

  it('negative control: a backoff without randomness livelocks dueling proposers, and liveness catches it', () => {
    const kinds = kindsFound('deterministic-backoff', 300);
    assert.deepEqual([...kinds], ['liveness']);
    // The very same duels, with the randomized backoff: every one is decided in time.
    const failed = Array.from({ length: 300 }, (_, i) => generateScenario(i + 1, 'deterministic-backoff'))
      .filter((s) => simulate({ ...s, bug: null }).violations.length > 0)
      .map((s) => s.seed);
    assert.deepEqual(failed, []);
  });

  it('negative control: half of an even acceptor set counted as a quorum is caught', () => {
    const kinds = kindsFound('half-is-quorum', 200);
    assert.ok(kinds.has('agreement'), `found ${[...kinds].join(', ')}`);
  });

  it('only the even acceptor sets catch that control: for an odd set, half rounded up is the real quorum', () => {
    let even = 0;
    let evenCaught = 0;
    const oddCaught: number[] = [];
    for (let seed = 1; seed <= 1_000; seed++) {
      const scenario: Scenario = { ...generateScenario(seed), bug: 'half-is-quorum' };
      const caught = simulate(scenario).violations.length > 0;
      if (scenario.decisions.some((d) => d.config.acceptors.length % 2 === 0)) {
        even++;
        if (caught) evenCaught++;
      } else if (caught) oddCaught.push(seed);
    }
    console.log(`half-is-quorum in the default executions: ${evenCaught} of ${even} with an even set caught`);
    assert.deepEqual(oddCaught, []);
    assert.ok(evenCaught >= even / 4, `${evenCaught} of ${even}`);
  });

  it("the first proposer's round 0 (no phase 1) is taken in many executions, and refused in some", () => {
    const traces = Array.from(
      { length: 300 },
      (_, i) => simulate(generateScenario(i + 1), { trace: true }).trace,
    );
    const accepted = traces.filter((t) => t.some((line) => / accepted d\d b=0\./.test(line))).length;
    const refused = traces.filter((t) => t.some((line) => / nack d\d b=0\./.test(line))).length;
    console.log(`round 0 accepted in ${accepted} of 300 executions, refused in ${refused}`);
    assert.ok(accepted >= 100 && refused >= 5, `${accepted} accepted, ${refused} refused`);
  });

  it('negative control: round 0 without phase 1 for every proposer, not only the first, is caught', () => {
    const kinds = kindsFound('first-ballot-for-anyone', 300);
    assert.ok(kinds.has('agreement'), `found ${[...kinds].join(', ')}`);
  });

  it('negative control: a quorum of 1 of 3 is caught', () => {
    const kinds = kindsFound('quorum-of-one', 200);
    assert.ok(kinds.has('agreement'), `found ${[...kinds].join(', ')}`);
  });

  it('negative control: an acceptor that replies before persisting, then crashes, is caught', () => {
    const kinds = kindsFound('reply-before-persist', 500);
    assert.ok(kinds.has('agreement') && kinds.has('durability'), `found ${[...kinds].join(', ')}`);
  });

  it('negative control: a proposer that reuses a ballot after a restart is caught; agreement survives it', () => {
    const kinds = kindsFound('reuse-ballot-after-restart', 4_000);
    assert.ok(kinds.has('ballot-reuse'), `found ${[...kinds].join(', ')}`);
    // A ballot reused with another value is a proposer equivocating: acceptors take no value from
    // promises that report two values at one ballot, so the second value is never chosen (before that
    // rule, this control broke agreement too).
    assert.ok(!kinds.has('agreement'), `found ${[...kinds].join(', ')}`);
  });

  it('negative control: one acceptor of three that lies in its Promises breaks agreement; the nodes detect it and name the liar', () => {
    const runs = 4_000;
    let broken = 0;
    let detected = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const result = simulate(generateScenario(seed, 'lying-promise'));
      // The oracle must catch the lie whenever two nodes learned different outcomes.
      const learned = new Map<string, Set<string>>();
      for (const r of result.reported)
        learned.set(r.decision, (learned.get(r.decision) ?? new Set()).add(r.value));
      const split = [...learned.values()].some((values) => values.size > 1);
      if (split)
        assert.ok(
          result.violations.some((v) => v.kind === 'agreement'),
          `seed ${seed}`,
        );
      // Honest acceptors' signatures never contradict each other: only the liar is ever named.
      assert.ok(
        result.conflicts.every((c) => c.liars.every((l) => l === LIAR)),
        `seed ${seed}`,
      );
      if (!split) continue;
      broken++;
      // Two outcomes were learned and every message arrives: a node that holds both certificates
      // reports the conflict, and their signatures convict the liar.
      if (result.conflicts.some((c) => c.liars.includes(LIAR))) detected++;
    }
    console.log(
      `lying-promise: different outcomes learned in ${broken} of ${runs}; the liar named in ${detected}`,
    );
    assert.ok(broken >= 10, `the lie split the outcome in only ${broken} executions`);
    assert.equal(detected, broken);
  });

  it('a seed replays exactly the same execution', () => {
    const a = simulate(generateScenario(77), { trace: true });
    const b = simulate(generateScenario(77), { trace: true });
    assert.ok(a.trace.length > 50);
    assert.deepEqual(a.trace, b.trace);
    assert.notDeepEqual(simulate(generateScenario(78), { trace: true }).trace, a.trace);
  });

  it('`npm run sim -- --seed S` prints a readable trace, and the seed and violations of a failing run', () => {
    const ok = spawnSync(process.execPath, ['src/sim/cli.ts', '--seed', '5'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /prepare d1 b=1\.n\d/);
    assert.match(ok.stdout, /seed 5: \d+ steps/);
    const bad = spawnSync(process.execPath, ['src/sim/cli.ts', '--runs', '50', '--bug', 'quorum-of-one'], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 1);
    const seed = /npm run sim -- --seed (\d+) --bug quorum-of-one/.exec(bad.stdout)?.[1];
    assert.ok(seed, bad.stdout);
    const replay = spawnSync(process.execPath, ['src/sim/cli.ts', '--seed', seed, '--bug', 'quorum-of-one'], {
      encoding: 'utf8',
    });
    assert.equal(replay.status, 1);
    assert.match(replay.stdout, /VIOLATION (agreement|unchosen-learned)/);
  });
});
