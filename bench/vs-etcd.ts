/**
 * Synod beside etcd, in one run on this machine: three etcd members and three Synod daemons on
 * loopback, each driven through its own HTTP API with kept-alive connections (node:http for both:
 * see json-client.ts). Per decision, etcd does a create-if-absent transaction; Synod asks a question
 * and proposes an option until it is decided.
 * Prints both columns and their ratios; asserts nothing.
 *   npm run bench:vs-etcd [-- --decisions 300 --seconds 10 --clients 64 --runs 1]
 * With several runs, each figure is the range over them (this machine varies from run to run).
 * etcd comes from Debian's etcd-server: installed when missing and run as root; otherwise Synod is
 * measured alone.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProposeResult, QuestionView, SynodEvent } from '../src/api/types.ts';
import { DaemonProcess, freePort } from '../test/helpers/daemons.ts';
import { JsonClient } from './json-client.ts';

const { values } = parseArgs({
  options: {
    decisions: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '64' },
    runs: { type: 'string', default: '1' },
  },
});
const DECISIONS = Number(values.decisions);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const RUNS = Number(values.runs);
for (const [name, value] of Object.entries({ DECISIONS, SECONDS, CLIENTS, RUNS })) {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name.toLowerCase()} must be a whole number ≥ 1`);
}

interface Figures {
  decisionP50: number;
  decisionP99: number;
  proposeP50: number | null;
  everywhereP50: number | null;
  perSecond: number;
  readyMs: number[];
  /** Once the members are up and connected, before the measured decisions. */
  restingRssMb: number[];
  rssMb: number[];
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
const sortNumbers = (list: number[]) => list.sort((x, y) => x - y);

async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** How a figure is printed: its decimals and its unit. */
interface Format {
  readonly digits: number;
  readonly unit: string;
}

/** Resident memory of members that are up and connected, after a second to settle. */
async function restingMemory(pids: readonly (number | undefined)[]): Promise<number[]> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return Promise.all(pids.map((pid) => rssMb(pid)));
}

/** Runs `clients` loops of `one` for `seconds`; decisions per second. */
async function throughput(
  clients: number,
  seconds: number,
  one: (client: number) => Promise<void>,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < end) {
        await one(client);
        done++;
      }
    }),
  );
  return done / seconds;
}

// ---- etcd ---------------------------------------------------------------------------------------

function etcdAvailable(): string | null {
  if (existsSync('/usr/bin/etcd')) return null;
  if (process.getuid?.() !== 0)
    return 'etcd is not installed (Debian: etcd-server) and installing it needs root';
  try {
    console.log('installing etcd-server from Debian …');
    execFileSync('apt-get', ['install', '-y', 'etcd-server'], { stdio: 'ignore' });
    return existsSync('/usr/bin/etcd') ? null : 'apt-get did not install /usr/bin/etcd';
  } catch (error) {
    return `apt-get install etcd-server failed: ${String(error).split('\n')[0]}`;
  }
}

async function startEtcd(
  base: string,
): Promise<{ urls: string[]; processes: ChildProcess[]; readyMs: number[] }> {
  const members = await Promise.all(
    ['e1', 'e2', 'e3'].map(async (name) => ({ name, client: await freePort(), peer: await freePort() })),
  );
  const cluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const started = performance.now();
  const processes = members.map((m) =>
    spawn(
      '/usr/bin/etcd',
      [
        '--name',
        m.name,
        '--data-dir',
        join(base, m.name),
        '--listen-client-urls',
        `http://127.0.0.1:${m.client}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${m.peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${m.peer}`,
        '--initial-cluster',
        cluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'synod-bench',
        '--log-level',
        'error',
      ],
      { stdio: 'ignore' },
    ),
  );
  const urls = members.map((m) => `http://127.0.0.1:${m.client}`);
  const readyMs: number[] = [];
  for (const url of urls) {
    for (;;) {
      const ok = await fetch(`${url}/health`)
        .then((r) => r.json() as Promise<{ health?: string }>)
        .then((j) => j.health === 'true')
        .catch(() => false);
      if (ok) break;
      if (performance.now() - started > 30_000) throw new Error('etcd did not start');
      // As often as DaemonProcess looks at a Synod daemon.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    readyMs.push(performance.now() - started);
  }
  return { urls, processes, readyMs };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** One decision in etcd: the first writer of a key wins, everyone reads the winner. */
async function etcdDecide(client: JsonClient, key: string, value: string): Promise<void> {
  await client.post('/v3/kv/txn', {
    compare: [{ target: 'CREATE', key: b64(key), create_revision: '0' }],
    success: [{ request_put: { key: b64(key), value: b64(value) } }],
    failure: [{ request_range: { key: b64(key) } }],
  });
}

async function measureEtcd(base: string): Promise<Figures> {
  const { urls, processes, readyMs } = await startEtcd(base);
  const clients = urls.map((url) => new JsonClient(url));
  try {
    const first = clients[0] as JsonClient;
    const restingRssMb = await restingMemory(processes.map((p) => p.pid));
    for (let i = 0; i < 20; i++) await etcdDecide(first, `warm/${i}`, 'x');
    const latencies: number[] = [];
    for (let i = 0; i < DECISIONS; i++) {
      const t = performance.now();
      await etcdDecide(first, `one/${i}`, `v${i}`);
      latencies.push(performance.now() - t);
    }
    sortNumbers(latencies);
    let n = 0;
    const perSecond = await throughput(CLIENTS, SECONDS, (client) =>
      etcdDecide(clients[client % clients.length] ?? first, `many/${n++}`, 'x'),
    );
    return {
      decisionP50: percentile(latencies, 0.5),
      decisionP99: percentile(latencies, 0.99),
      proposeP50: null,
      everywhereP50: null,
      perSecond,
      readyMs,
      restingRssMb,
      rssMb: await Promise.all(processes.map((p) => rssMb(p.pid))),
    };
  } finally {
    for (const client of clients) client.close();
    for (const p of processes) p.kill('SIGTERM');
    await Promise.all(
      processes.map(
        (p) => new Promise((resolve) => (p.exitCode === null ? p.once('exit', resolve) : resolve(null))),
      ),
    );
  }
}

// ---- Synod --------------------------------------------------------------------------------------

async function measureSynod(base: string): Promise<Figures> {
  // The daemons run what the app runs: the compiled JavaScript (bin/synod.js takes it when it is
  // newer than the sources), not the sources with their types stripped at each start.
  console.log('compiling src (npm run build:electron) …');
  execFileSync('npm', ['run', '--silent', 'build:electron'], { stdio: 'inherit' });
  const daemons = ['a', 'b', 'c'].map((n) => new DaemonProcess(n, join(base, n), ['--unlimited-questions']));
  const readyMs: number[] = [];
  let clients = new Map<DaemonProcess, JsonClient>();
  try {
    for (const d of daemons) {
      const t = performance.now();
      await d.start();
      readyMs.push(performance.now() - t);
    }
    const [a, b, c] = daemons as [DaemonProcess, DaemonProcess, DaemonProcess];
    await a.client.createGroup({ groupName: 'bench', displayName: 'a' });
    const { invite } = await a.client.invite();
    await b.client.joinGroup({ invite, displayName: 'b' });
    await c.client.joinGroup({ invite, displayName: 'c' });
    while ((await a.client.peers()).filter((p) => p.online).length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const restingRssMb = await restingMemory(daemons.map((d) => d.process?.pid));

    // When each node's event stream shows a question decided.
    const decidedAt = new Map<string, number[]>();
    const unsubscribe = daemons.map((d) =>
      d.client.subscribe((event: SynodEvent) => {
        if (event.type !== 'question' || event.question.outcome === null) return;
        const seen = decidedAt.get(event.question.id) ?? [];
        if (seen.length < 3) seen.push(performance.now());
        decidedAt.set(event.question.id, seen);
      }),
    );
    clients = new Map(
      await Promise.all(
        daemons.map(async (d) => {
          const token = (await readFile(join(d.dataDir, 'api-token'), 'utf8')).trim();
          return [d, new JsonClient(d.client.baseUrl, { authorization: `Bearer ${token}` })] as const;
        }),
      ),
    );
    const decide = async (daemon: DaemonProcess, i: string) => {
      const client = clients.get(daemon);
      if (client === undefined) throw new Error(`no client for daemon ${daemon.name}`);
      const q = await client.post<QuestionView>('/api/questions', { title: `q ${i}`, options: [] });
      const t = performance.now();
      const result = await client.post<ProposeResult>(`/api/questions/${q.id}/proposals`, {
        option: `v${i}`,
      });
      if (result.state !== 'decided') throw new Error(`question ${i} was not decided`);
      return { id: q.id, proposeMs: performance.now() - t };
    };
    for (let i = 0; i < 20; i++) await decide(a, `warm ${i}`);

    const latencies: number[] = [];
    const proposeOnly: number[] = [];
    const everywhere: number[] = [];
    for (let i = 0; i < DECISIONS; i++) {
      const t = performance.now();
      const { id, proposeMs } = await decide(a, String(i));
      latencies.push(performance.now() - t);
      proposeOnly.push(proposeMs);
      const deadline = performance.now() + 5_000;
      while ((decidedAt.get(id)?.length ?? 0) < 3 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const seen = decidedAt.get(id) ?? [];
      if (seen.length === 3) everywhere.push(Math.max(...seen) - t);
      decidedAt.delete(id);
    }
    for (const stop of unsubscribe) stop();
    sortNumbers(latencies);
    sortNumbers(proposeOnly);
    sortNumbers(everywhere);
    let n = 0;
    const perSecond = await throughput(CLIENTS, SECONDS, async (client) => {
      await decide(daemons[client % 3] ?? a, `many ${n++}`);
    });
    return {
      decisionP50: percentile(latencies, 0.5),
      decisionP99: percentile(latencies, 0.99),
      proposeP50: percentile(proposeOnly, 0.5),
      everywhereP50: percentile(everywhere, 0.5),
      perSecond,
      readyMs,
      restingRssMb,
      rssMb: await Promise.all(daemons.map((d) => rssMb(d.process?.pid))),
    };
  } finally {
    for (const client of clients.values()) client.close();
    await Promise.all(daemons.map((d) => d.stop()));
  }
}

// ---- the table ----------------------------------------------------------------------------------

const base = await mkdtemp(join(tmpdir(), 'synod-vs-etcd-'));
try {
  const missing = etcdAvailable();
  if (missing !== null) console.log(`etcd is not measured: ${missing}`);
  const runs: { etcd: Figures | null; synod: Figures }[] = [];
  for (let run = 1; run <= RUNS; run++) {
    if (RUNS > 1) console.log(`run ${run} of ${RUNS}`);
    const etcd = missing === null ? await measureEtcd(join(base, `${run}`, 'etcd')) : null;
    const synod = await measureSynod(join(base, `${run}`, 'synod'));
    runs.push({ etcd, synod });
  }

  /** One value, or the range over the runs (and members). */
  const span = (values: readonly (number | null | undefined)[], format: Format) => {
    const known = values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
    if (known.length === 0) return '—';
    const number = (v: number) =>
      v.toLocaleString('en', { minimumFractionDigits: format.digits, maximumFractionDigits: format.digits });
    const [low, high] = [number(Math.min(...known)), number(Math.max(...known))];
    return `${low === high ? low : `${low}–${high}`}${format.unit}`;
  };
  const ms: Format = { digits: 1, unit: ' ms' };
  const times: Format = { digits: 2, unit: '×' };
  const whole = (unit: string): Format => ({ digits: 0, unit });
  const ratio = (pick: (f: Figures) => number | null, against: (f: Figures) => number | null = pick) =>
    span(
      runs.map(({ etcd, synod }) => {
        const [s, e] = [pick(synod), etcd === null ? null : against(etcd)];
        return s === null || e === null ? null : s / e;
      }),
      times,
    );
  const both = (pick: (f: Figures) => number | null, format: Format) => [
    span(
      runs.map(({ etcd }) => (etcd === null ? null : pick(etcd))),
      format,
    ),
    span(
      runs.map(({ synod }) => pick(synod)),
      format,
    ),
  ];
  const perMember = (pick: (f: Figures) => readonly number[], unit: string) => [
    span(
      runs.flatMap(({ etcd }) => (etcd === null ? [] : pick(etcd))),
      whole(unit),
    ),
    span(
      runs.flatMap(({ synod }) => pick(synod)),
      whole(unit),
    ),
  ];
  const rows: string[][] = [
    ['one decision, p50', ...both((f) => f.decisionP50, ms), ratio((f) => f.decisionP50)],
    ['one decision, p99', ...both((f) => f.decisionP99, ms), ratio((f) => f.decisionP99)],
    [
      'propose only, p50',
      '—',
      span(
        runs.map(({ synod }) => synod.proposeP50),
        ms,
      ),
      '—',
    ],
    [
      'decided on all three nodes (event stream), p50',
      '—',
      span(
        runs.map(({ synod }) => synod.everywhereP50),
        ms,
      ),
      ratio(
        (f) => f.everywhereP50,
        (f) => f.decisionP50,
      ),
    ],
    [
      `decisions per second, ${CLIENTS} concurrent clients`,
      ...both((f) => f.perSecond, whole('')),
      ratio((f) => f.perSecond),
    ],
    ['ready (API answering) after start', ...perMember((f) => f.readyMs, ' ms'), '—'],
    ['resident memory, started and connected', ...perMember((f) => f.restingRssMb, ' MB'), '—'],
    ['resident memory after the run', ...perMember((f) => f.rssMb, ' MB'), '—'],
  ];
  console.log(
    `\n${DECISIONS} decisions one after another, then ${CLIENTS} clients for ${SECONDS} s; 3 members each, loopback` +
      (RUNS > 1 ? `; ranges over ${RUNS} runs` : '') +
      '\n',
  );
  console.log('| figure | etcd 3.4 | Synod | Synod / etcd |');
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  await rm(base, { recursive: true, force: true });
}
