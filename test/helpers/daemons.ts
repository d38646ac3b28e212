import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpSynodClient } from '../../src/api/http-client.ts';
import type { QuestionView, SynodApi } from '../../src/api/types.ts';

const BIN = new URL('../../bin/synod.js', import.meta.url).pathname;

/** A real `synod daemon` process on loopback, driven through its HTTP API. */
export class DaemonProcess {
  readonly name: string;
  readonly dataDir: string;
  readonly extraArgs: readonly string[];
  process: ChildProcess | null = null;
  api: HttpSynodClient | null = null;
  output = '';

  constructor(name: string, dataDir: string, extraArgs: readonly string[] = []) {
    this.name = name;
    this.dataDir = dataDir;
    this.extraArgs = extraArgs;
  }

  get client(): HttpSynodClient {
    if (this.api === null) throw new Error(`${this.name} is not running`);
    return this.api;
  }

  async start(): Promise<void> {
    await rm(join(this.dataDir, 'api.json'), { force: true });
    const args = [
      BIN,
      'daemon',
      '--data-dir',
      this.dataDir,
      '--no-mdns',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      ...this.extraArgs,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited: ${this.output}`);
      try {
        const info = JSON.parse(await readFile(join(this.dataDir, 'api.json'), 'utf8')) as { port: number };
        const token = (await readFile(join(this.dataDir, 'api-token'), 'utf8')).trim();
        this.api = new HttpSynodClient(`http://127.0.0.1:${info.port}`, token);
        await this.api.status();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${this.name} did not start: ${this.output}`);
        // Often: the benchmark against etcd reads its start-up time from here.
        await sleep(20);
      }
    }
  }

  /** The hardest crash: no shutdown code runs, nothing unsynced survives. */
  async kill9(): Promise<void> {
    const child = this.process;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.process = null;
    this.api = null;
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    this.process = null;
    this.api = null;
  }
}

export class DaemonGroup {
  readonly base: string;
  readonly daemons: DaemonProcess[];

  private constructor(base: string, daemons: DaemonProcess[]) {
    this.base = base;
    this.daemons = daemons;
  }

  /** Starts `count` daemons; the first creates a group and the others join with its invite. */
  static async start(
    count: number,
    options: { join?: boolean; extraArgs?: (index: number) => readonly string[] } = {},
  ): Promise<DaemonGroup> {
    const base = await mkdtemp(join(tmpdir(), 'synod-it-'));
    const daemons = Array.from(
      { length: count },
      (_, i) => new DaemonProcess(`n${i + 1}`, join(base, `n${i + 1}`), options.extraArgs?.(i) ?? []),
    );
    const group = new DaemonGroup(base, daemons);
    try {
      await Promise.all(daemons.map((d) => d.start()));
      if (options.join ?? true) await group.formGroup();
    } catch (error) {
      // Leave no daemon behind: a running child would keep the test runner waiting forever.
      await group.stop();
      throw error;
    }
    return group;
  }

  async formGroup(): Promise<void> {
    const [first, ...others] = this.daemons;
    if (first === undefined) return;
    await first.client.createGroup({ groupName: 'test group', displayName: first.name });
    const { invite } = await first.client.invite();
    for (const d of others) await d.client.joinGroup({ invite, displayName: d.name });
    await this.waitForMesh();
  }

  /** Until every running daemon sees every other one online. */
  async waitForMesh(timeoutMs = 30_000): Promise<void> {
    const running = this.daemons.filter((d) => d.api !== null);
    const online = async (d: DaemonProcess) => (await d.client.peers()).filter((p) => p.online).length;
    try {
      await waitFor(
        async () => {
          for (const d of running) if ((await online(d)) < running.length - 1) return false;
          return true;
        },
        timeoutMs,
        'the daemons to connect to each other',
      );
    } catch (error) {
      const seen = await Promise.all(
        running.map(async (d) => `${d.name} sees ${await online(d).catch(() => '?')}`),
      );
      throw new Error(`${(error as Error).message} (${seen.join(', ')})`, { cause: error });
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.stop()));
    await rm(this.base, { recursive: true, force: true });
  }
}

/** A TCP port free on loopback now (for a daemon that must keep its port across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export async function question(api: SynodApi, id: string): Promise<QuestionView | undefined> {
  return (await api.questions()).find((q) => q.id === id);
}

/** Until `api` knows the outcome of question `id`; returns the decided option. */
export async function decidedOption(api: SynodApi, id: string, timeoutMs = 20_000): Promise<string> {
  let option: string | undefined;
  await waitFor(
    async () => {
      option = (await question(api, id))?.outcome?.option ?? undefined;
      return option !== undefined;
    },
    timeoutMs,
    `question ${id} to be decided`,
  );
  return option as string;
}

/** The epoch an honest member asks in, in a group that keeps a group log (named by every question). */
export async function epochOf(daemon: DaemonProcess): Promise<{ epoch?: number }> {
  const { epoch } = await daemon.client.group();
  return epoch === null ? {} : { epoch };
}
