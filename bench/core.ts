/**
 * Benchmark of the pure Paxos core: complete decisions per second among 5 in-memory nodes with a
 * perfect network (no I/O), i.e. the protocol's own CPU cost. Prints figures; asserts nothing.
 *   npm run bench:core
 */
import { SynodCore, type Envelope, type NodeId } from '../src/paxos/index.ts';

const nodes: NodeId[] = ['n1', 'n2', 'n3', 'n4', 'n5'];
const cores = new Map(nodes.map((id) => [id, new SynodCore(id)]));
const env = { now: 0, random: () => 0.5 };
const config = { acceptors: nodes, learners: [] };
let messages = 0;

function run(decisions: number): void {
  for (let d = 0; d < decisions; d++) {
    const id = `q${d}`;
    for (const core of cores.values()) core.step({ kind: 'open', decision: id, config }, env);
    const queue: { from: NodeId; envelope: Envelope }[] = [];
    const proposer = nodes[d % nodes.length] as NodeId;
    for (const envelope of cores.get(proposer)?.step({ kind: 'propose', decision: id, value: `v${d}` }, env)
      .send ?? []) {
      queue.push({ from: proposer, envelope });
    }
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      messages++;
      const ready = cores
        .get(next.envelope.to)
        ?.step({ kind: 'receive', from: next.from, message: next.envelope.message }, env);
      for (const envelope of ready?.send ?? []) queue.push({ from: next.envelope.to, envelope });
    }
  }
}

run(2_000); // warm-up
messages = 0;
const count = 20_000;
const started = performance.now();
run(count);
const seconds = (performance.now() - started) / 1000;
console.log(
  `${count} decisions among 5 nodes in ${seconds.toFixed(2)} s: ${(count / seconds).toFixed(0)} decisions/s, ${(messages / seconds).toFixed(0)} messages/s`,
);
