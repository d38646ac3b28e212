/**
 * The black-box soak: real daemons in network namespaces, driven only through their HTTP API, under
 * kill -9, pauses, partitions and loss; then a checker of the recorded history (checker.ts).
 *
 *   npm run soak                                   5 nodes, 180 s, a random seed
 *   npm run soak -- --seconds 75 --nodes 3 --seed 42
 *   npm run soak -- --bug quorum-of-one            a negative control (bugs.ts): it must be caught
 *
 * Needs root (network namespaces, iptables in them) and iproute2 and iptables; without them it says
 * why and exits 0 with SKIPPED. Exit codes: 0 clean (or skipped); 1 violations (for --bug: the
 * control was caught); 2 the soak itself failed (a daemon would not start, an interrupted run: 130).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BUG_REWRITES, parseBug, rewrite, type SoakBug } from './bugs.ts';
import { check, type Violation } from './checker.ts';
import { SoakNetwork } from './network.ts';
import { CONVERGENCE_MS, MIN_SECONDS, Soak } from './soak.ts';
import { summarize } from './summary.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new Error(`${flag} needs a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

/** The compiled daemon (out/), built again when it is missing or older than a source file. */
function ensureBuilt(say: (line: string) => void): void {
  const entry = join(ROOT, 'out', 'src', 'daemon', 'main.js');
  const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs > builtAt,
    );
  if (builtAt > 0 && !newer(join(ROOT, 'src'))) return;
  say('compiling the daemon (npm run build:electron) …');
  const built = spawnSync('npm', ['run', '--silent', 'build:electron'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build:electron failed');
}

/** The bug's rewrite must apply to the compiled module the daemons will load, or nothing is tested. */
function checkBugApplies(bug: SoakBug): void {
  const file = join(ROOT, 'out', 'src', `${BUG_REWRITES[bug].module}.js`);
  rewrite(bug, readFileSync(file, 'utf8'));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '180' },
      nodes: { type: 'string', default: '5' },
      seed: { type: 'string' },
      bug: { type: 'string' },
      keep: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const seconds = wholeNumber(values.seconds, '--seconds', MIN_SECONDS, 24 * 3600);
  const nodes = wholeNumber(values.nodes, '--nodes', 3, 9);
  const seed =
    values.seed === undefined
      ? Math.floor(Math.random() * 2 ** 31)
      : wholeNumber(values.seed, '--seed', 0, 2 ** 32 - 1);
  const bug = parseBug(values.bug);
  const say = (line: string) => console.log(line);
  const progress = values.quiet ? () => undefined : say;

  const unavailable = SoakNetwork.unavailable();
  if (unavailable !== null) {
    say(`SKIPPED the soak: ${unavailable}`);
    return 0;
  }
  ensureBuilt(say);
  if (bug !== null) checkBugApplies(bug);
  for (const name of SoakNetwork.removeLeftovers()) say(`removed ${name}, left by a soak that was killed`);

  const replay = `npm run soak -- --seed ${seed} --seconds ${seconds} --nodes ${nodes}${bug === null ? '' : ` --bug ${bug}`}`;
  say(
    `soak: ${nodes} nodes, ${seconds} s, seed ${seed}${bug === null ? '' : `, negative control ${bug}: ${BUG_REWRITES[bug].what}`}`,
  );
  say(`  replay the same faults with: ${replay}`);

  const base = await mkdtemp(join(tmpdir(), 'synod-soak-'));
  const network = new SoakNetwork(nodes);
  let interrupted = false;
  const soak = new Soak(
    { seconds, nodes, seed, bug, base, say: progress, interrupted: () => interrupted },
    network,
  );
  let keep = values.keep;
  const cleanUp = async () => {
    soak.close();
    network.teardown();
    if (!keep) await rm(base, { recursive: true, force: true });
  };
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    say('interrupted: stopping the daemons and removing the namespaces …');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await soak.run();
    const violations = check(result.history, { convergenceMs: CONVERGENCE_MS });
    const problems = result.figures.daemonExits + result.figures.storageErrors;
    for (const line of summarize(result, violations)) say(line);
    if (bug === null) {
      const failed = violations.length > 0 || problems > 0;
      if (failed) keep = true;
      say(failed ? `FAILED: see above; the history and the daemons' logs are in ${base}` : 'no violations');
      return failed ? 1 : 0;
    }
    return verdict(bug, violations, say);
  } catch (error) {
    if (interrupted) return 130;
    keep = true;
    say(`the soak itself failed: ${error instanceof Error ? error.message : String(error)}`);
    say(`  the daemons' logs are in ${base}`);
    return 2;
  } finally {
    await cleanUp();
  }
}

/**
 * A negative control is caught when the checker finds a violation of a kind its bug causes. This
 * branch's known violations (a decision time or a learned question lost in a crash) are of other
 * kinds, so they cannot pass for a caught control.
 */
function verdict(bug: SoakBug, violations: readonly Violation[], say: (line: string) => void): number {
  const causes = BUG_REWRITES[bug].causes;
  const own = violations.filter((v) => causes.includes(v.kind));
  if (own.length > 0) {
    say(
      `negative control caught: ${own.length} violations of the kinds ${bug} causes (${causes.join(', ')})`,
    );
    return 1;
  }
  say(`negative control NOT caught: no violation of the kinds ${bug} causes (${causes.join(', ')})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
