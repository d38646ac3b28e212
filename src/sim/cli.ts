/**
 * The deterministic simulator from the command line.
 *   npm run sim                       run 2,000 seeded executions
 *   npm run sim -- --seed 42          replay one execution and print its trace
 *   npm run sim -- --runs 500 --from 1000 --bug quorum-of-one
 *   npm run sim:soak                  500,000 executions on every core
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { mergeBatches, runBatch, type BatchResult } from './batch.ts';
import { generateScenario, type InjectedBug } from './scenario.ts';
import { simulate } from './simulation.ts';

const BUGS: readonly InjectedBug[] = [
  'quorum-of-one',
  'reply-before-persist',
  'reuse-ballot-after-restart',
  'deterministic-backoff',
  'half-is-quorum',
  'lying-promise',
  'first-ballot-for-anyone',
];

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string' },
    from: { type: 'string', default: '1' },
    bug: { type: 'string' },
    soak: { type: 'boolean', default: false },
    workers: { type: 'string' },
  },
});

function parseBug(text: string | undefined): InjectedBug | null {
  if (text === undefined) return null;
  const bug = BUGS.find((b) => b === text);
  if (bug === undefined) throw new Error(`--bug must be one of ${BUGS.join(', ')}`);
  return bug;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`${flag} needs a whole number, not ${JSON.stringify(text)}`);
  return n;
}

function report(result: BatchResult, seconds: number): void {
  const f = result.faults;
  console.log(
    `${result.runs} executions in ${seconds.toFixed(1)} s (${Math.round(result.runs / seconds)}/s): ` +
      `${result.steps} steps, ${result.messages} messages, ${f.crashes} crashes, ${f.lost} lost, ` +
      `${f.duplicated} duplicated, ${f.cut} cut by partitions, ${f.decisionsChosen} decisions reached`,
  );
  for (const failure of result.failures.slice(0, 10)) {
    console.log(`seed ${failure.seed}:`);
    for (const v of failure.violations.slice(0, 5))
      console.log(`  ${v.kind} in ${v.decision} at ${v.at} ms: ${v.detail}`);
  }
  if (result.failures.length > 0) {
    const seed = result.failures[0]?.seed ?? 0;
    console.log(
      `${result.failures.length} executions violated the oracle; replay one with: npm run sim -- --seed ${seed}${values.bug ? ` --bug ${values.bug}` : ''}`,
    );
  } else {
    console.log('no violations');
  }
}

async function runParallel(
  first: number,
  count: number,
  bug: InjectedBug | null,
  workers: number,
): Promise<BatchResult> {
  const share = Math.ceil(count / workers);
  const jobs = Array.from({ length: workers }, (_, i) => {
    const start = first + i * share;
    const n = Math.max(0, Math.min(share, first + count - start));
    return new Promise<BatchResult>((resolve, reject) => {
      const worker = new Worker(new URL('./batch-worker.ts', import.meta.url), {
        workerData: { start, n, bug },
      });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  });
  return mergeBatches(await Promise.all(jobs));
}

async function main(): Promise<number> {
  const bug = parseBug(values.bug);
  if (values.seed !== undefined) {
    const seed = positiveInt(values.seed, '--seed');
    const result = simulate(generateScenario(seed, bug), { trace: true });
    console.log(result.trace.join('\n'));
    console.log(
      `seed ${seed}: ${result.steps} steps, ${result.messages} messages, ended at ${result.endedAt} ms`,
    );
    for (const v of result.violations)
      console.log(`VIOLATION ${v.kind} in ${v.decision} at ${v.at} ms: ${v.detail}`);
    return result.violations.length === 0 ? 0 : 1;
  }
  const runs = positiveInt(values.runs ?? (values.soak ? '500000' : '2000'), '--runs');
  const first = positiveInt(values.from, '--from');
  const workers = positiveInt(
    values.workers ?? String(values.soak ? availableParallelism() : 1),
    '--workers',
  );
  const started = performance.now();
  const result = workers > 1 ? await runParallel(first, runs, bug, workers) : runBatch(first, runs, bug);
  report(result, (performance.now() - started) / 1000);
  return result.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
