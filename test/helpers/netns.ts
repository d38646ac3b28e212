import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * Test hosts in Linux network namespaces made by the test itself: one namespace per node, each with a
 * veth into a bridge that lives in its own namespace, addresses in 10.77.0.0/24 (or another subnet), and a multicast
 * route so mDNS works. Nothing is added to the machine's own namespace: its interfaces never see
 * this multicast. Needs root (and iproute2). Two users at once (the mDNS test and the soak) pass
 * different names and subnets, so that neither can see or remove the other's namespaces.
 */
export class TestNetwork {
  readonly prefix: string;
  readonly size: number;
  /** The first three bytes of the addresses: node i is `${subnet}.${10 + i}`. */
  readonly subnet: string;
  readonly #bridge: string;

  constructor(size: number, options: { readonly name?: string; readonly subnet?: string } = {}) {
    this.prefix = `${options.name ?? 'synod'}${process.pid}`;
    this.size = size;
    this.subnet = options.subnet ?? '10.77.0';
    this.#bridge = `${this.prefix}-br`;
  }

  /** Why namespaces cannot be made here, or null when they can. */
  static unavailable(): string | null {
    if (process.platform !== 'linux') return 'network namespaces exist on Linux only';
    if (process.getuid?.() !== 0)
      return 'creating network namespaces needs root; run the tests as root to include this test';
    if (spawnSync('ip', ['-V']).status !== 0) return 'the "ip" command (Debian package iproute2) is missing';
    return null;
  }

  node(i: number): string {
    return `${this.prefix}-n${i}`;
  }

  address(i: number): string {
    return `${this.subnet}.${10 + i}`;
  }

  setup(): void {
    this.teardown();
    const br = this.#bridge;
    ip('netns', 'add', br);
    inNs(br, 'ip', 'link', 'set', 'lo', 'up');
    inNs(br, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    inNs(br, 'ip', 'link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    inNs(br, 'ip', 'link', 'set', 'br0', 'up');
    for (let i = 1; i <= this.size; i++) {
      const ns = this.node(i);
      ip('netns', 'add', ns);
      // The pair is made inside the bridge's namespace and its other end moved straight into the node's.
      inNs(br, 'ip', 'link', 'add', `veth-n${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      inNs(br, 'ip', 'link', 'set', `veth-n${i}`, 'master', 'br0');
      inNs(br, 'ip', 'link', 'set', `veth-n${i}`, 'up');
      inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      inNs(ns, 'ip', 'addr', 'add', `${this.address(i)}/24`, 'dev', 'eth0');
      inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
      // multicast-dns sends with no interface set: without this route the kernel has nowhere to send.
      inNs(ns, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
    }
  }

  /** Cuts node i off the bridge (its own interface keeps its address and routes). */
  cut(i: number): void {
    inNs(this.#bridge, 'ip', 'link', 'set', `veth-n${i}`, 'down');
  }

  restore(i: number): void {
    inNs(this.#bridge, 'ip', 'link', 'set', `veth-n${i}`, 'up');
  }

  spawnIn(i: number, command: string, args: readonly string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.node(i), command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  runIn(i: number, command: string, args: readonly string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.node(i), command, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  teardown(): void {
    const names = [this.#bridge, ...Array.from({ length: this.size }, (_, i) => this.node(i + 1))];
    for (const ns of names) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
        .stdout.split(/\s+/)
        .filter(Boolean);
      for (const pid of pids) spawnSync('kill', ['-9', pid]);
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function inNs(ns: string, ...args: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'pipe' });
}
