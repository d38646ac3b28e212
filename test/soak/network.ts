/**
 * The soak's network: TestNetwork's namespaces (one per node, a bridge between them) under a name and a
 * subnet of their own, so that the mDNS test can run at the same time, plus the faults, made with
 * iptables inside each node's namespace (the machine's own tables are never touched):
 * - a partition: a node drops every packet from and to the nodes on the other side;
 * - loss: a node drops that share of the packets it receives (`-m statistic --mode random`);
 * - isolation: a node drops everything on its link (a restarted node, until its disk has spoken).
 * This kernel has no netem, so there is no delay on the wire; paused daemons (SIGSTOP) stand for it.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { TestNetwork } from '../helpers/netns.ts';

const run = promisify(execFile);

export interface LinkState {
  /** Which side of the partition it is on; every node on side 0 when there is none. */
  side: number;
  /** The share of received packets dropped, 0 to 1. */
  loss: number;
  isolated: boolean;
}

export class SoakNetwork {
  readonly net: TestNetwork;
  readonly links: LinkState[];
  readonly #writes: Promise<void>[] = [];

  constructor(size: number) {
    this.net = new TestNetwork(size, { name: 'synsoak', subnet: '10.78.0' });
    this.links = Array.from({ length: size + 1 }, () => ({ side: 0, loss: 0, isolated: false }));
  }

  /** Why the soak cannot run here, or null when it can. */
  static unavailable(): string | null {
    if (process.platform === 'linux' && process.getuid?.() !== 0)
      return 'it makes network namespaces and iptables rules in them, which needs root: run it as root';
    const why = TestNetwork.unavailable();
    if (why !== null) return why;
    if (spawnSync('iptables', ['--version']).status !== 0)
      return 'the "iptables" command (Debian package iptables) is missing: partitions and loss need it';
    return null;
  }

  /**
   * Namespaces a soak killed before its clean-up left behind (their owner's pid is gone), by name
   * only: they are removed with the processes inside them. The mDNS test's (`synod<pid>-…`) are
   * never touched.
   */
  static removeLeftovers(): string[] {
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    const owners = new Set<number>();
    for (const line of listed.split('\n')) {
      const match = /^synsoak(\d+)-/.exec(line);
      if (match !== null) owners.add(Number(match[1]));
    }
    const removed: string[] = [];
    for (const pid of owners) {
      if (pid === process.pid || alive(pid)) continue;
      for (const line of listed.split('\n')) {
        const name = line.split(' ')[0] ?? '';
        if (!name.startsWith(`synsoak${pid}-`)) continue;
        const pids = (spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '')
          .split(/\s+/)
          .filter(Boolean);
        for (const p of pids) spawnSync('kill', ['-9', p]);
        spawnSync('ip', ['netns', 'del', name]);
        removed.push(name);
      }
    }
    return removed;
  }

  async setup(): Promise<void> {
    this.net.setup();
    for (let i = 1; i <= this.net.size; i++) {
      const ns = this.net.node(i);
      for (const [chain, hook, dir] of [
        ['SOAK-IN', 'INPUT', '-i'],
        ['SOAK-OUT', 'OUTPUT', '-o'],
      ] as const) {
        await iptables(ns, '-N', chain);
        await iptables(ns, '-A', hook, dir, 'eth0', '-j', chain);
      }
    }
  }

  address(i: number): string {
    return this.net.address(i);
  }

  /**
   * Writes node i's rules for its LinkState as it is when the write runs. One iptables-restore replaces
   * the rules at once, and node i's writes run one at a time, so the last state always wins.
   */
  apply(i: number): Promise<void> {
    const next = (this.#writes[i] ?? Promise.resolve()).then(() => this.#write(i));
    this.#writes[i] = next.catch(() => undefined);
    return next;
  }

  async #write(i: number): Promise<void> {
    const link = this.links[i];
    if (link === undefined) throw new Error(`no node ${i}`);
    const rules: string[] = [];
    if (link.isolated) rules.push('-A SOAK-IN -j DROP', '-A SOAK-OUT -j DROP');
    else {
      for (let j = 1; j <= this.net.size; j++) {
        if (j === i || this.links[j]?.side === link.side) continue;
        rules.push(`-A SOAK-IN -s ${this.address(j)} -j DROP`, `-A SOAK-OUT -d ${this.address(j)} -j DROP`);
      }
      if (link.loss > 0)
        rules.push(`-A SOAK-IN -m statistic --mode random --probability ${link.loss} -j DROP`);
    }
    const table = ['*filter', '-F SOAK-IN', '-F SOAK-OUT', ...rules, 'COMMIT', ''].join('\n');
    await restore(this.net.node(i), table);
  }

  async applyAll(): Promise<void> {
    for (let i = 1; i <= this.net.size; i++) await this.apply(i);
  }

  teardown(): void {
    this.net.teardown();
  }
}

async function iptables(ns: string, ...args: string[]): Promise<void> {
  await run('ip', ['netns', 'exec', ns, 'iptables', '-w', ...args], { timeout: 10_000 });
}

/** `iptables-restore --noflush` in namespace `ns`: the chains named in `table` are replaced at once. */
function restore(ns: string, table: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'iptables-restore', '-w', '--noflush'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`iptables-restore in ${ns} failed (${code}): ${errors.trim()}`));
    });
    child.stdin.end(table);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
