/**
 * The soak's fault plan: drawn from the seed alone before the run, so that `--seed S` replays the same
 * faults at the same moments (what the daemons do in between still depends on timing). A planned
 * fault that would take more than a minority of the nodes out at once is skipped when its moment
 * comes: the group keeps a majority that can decide, and the checker judges safety and durability
 * meanwhile.
 */
import { Prng } from '../../src/sim/prng.ts';

export type Fault =
  /** kill -9 at a random moment; started again after `downMs`. */
  | { readonly at: number; readonly kind: 'kill'; readonly node: number; readonly downMs: number }
  /** kill -9 right after the node's next event showing an outcome (within 5 s), as it learns one. */
  | { readonly at: number; readonly kind: 'kill-after-event'; readonly node: number; readonly downMs: number }
  /** SIGSTOP for `ms`, then SIGCONT: a laptop that sleeps, or a very slow network. */
  | { readonly at: number; readonly kind: 'pause'; readonly node: number; readonly ms: number }
  /** `sides[i]` is node i's side (index 0 unused); nodes on different sides cannot reach each other. */
  | {
      readonly at: number;
      readonly kind: 'partition';
      readonly sides: readonly number[];
      readonly ms: number;
    }
  /** The node drops this share of the packets it receives, for `ms`. */
  | {
      readonly at: number;
      readonly kind: 'loss';
      readonly node: number;
      readonly p: number;
      readonly ms: number;
    };

/** The faults between `fromMs` and `untilMs` of the run (ms since its start), in order. */
export function planFaults(seed: number, nodes: number, fromMs: number, untilMs: number): Fault[] {
  const rng = new Prng(seed);
  const faults: Fault[] = [];
  let at = fromMs;
  // Bounded: at least 500 ms between two faults.
  for (;;) {
    at += 500 + Math.round(-Math.log(1 - rng.next()) * 2_000);
    if (at >= untilMs) return faults;
    const node = rng.int(1, nodes);
    const roll = rng.next();
    if (roll < 0.25) faults.push({ at, kind: 'kill', node, downMs: rng.int(500, 4_000) });
    else if (roll < 0.35) faults.push({ at, kind: 'kill-after-event', node, downMs: rng.int(500, 4_000) });
    else if (roll < 0.55) faults.push({ at, kind: 'pause', node, ms: rng.int(1_000, 6_000) });
    else if (roll < 0.75)
      faults.push({ at, kind: 'partition', sides: sides(rng, nodes), ms: rng.int(2_000, 10_000) });
    else faults.push({ at, kind: 'loss', node, p: rng.int(5, 30) / 100, ms: rng.int(3_000, 12_000) });
  }
}

/** A random split: a minority cut off, or (sometimes, with 5 or more nodes) three sides. */
function sides(rng: Prng, nodes: number): number[] {
  const result = Array.from({ length: nodes + 1 }, () => 0);
  const order = rng.shuffle(Array.from({ length: nodes }, (_, i) => i + 1));
  const minority = rng.int(1, Math.floor(nodes / 2));
  for (const node of order.slice(0, minority)) result[node] = 1;
  const third = order[minority];
  if (nodes >= 5 && rng.chance(0.2) && third !== undefined) result[third] = 2;
  return result;
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'kill':
      return `kill -9 node ${fault.node} (down ${fault.downMs} ms)`;
    case 'kill-after-event':
      return `kill -9 node ${fault.node} after its next outcome event (down ${fault.downMs} ms)`;
    case 'pause':
      return `pause node ${fault.node} for ${fault.ms} ms`;
    case 'partition': {
      const groups = new Map<number, number[]>();
      fault.sides.forEach((side, node) => {
        if (node > 0) groups.set(side, [...(groups.get(side) ?? []), node]);
      });
      return `partition ${[...groups.values()].map((g) => g.join(',')).join(' | ')} for ${fault.ms} ms`;
    }
    case 'loss':
      return `loss ${Math.round(fault.p * 100)} % into node ${fault.node} for ${fault.ms} ms`;
  }
}
