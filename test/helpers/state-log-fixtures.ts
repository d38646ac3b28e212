/** Records, expected states and options shared by the storage tests that run on a disk in memory. */
import assert from 'node:assert/strict';
import type { QuestionRecord } from '../../src/node/questions/catalog.ts';
import type { DurableDecision } from '../../src/paxos/index.ts';
import { paxosStateOptions, type StateLogOptions } from '../../src/storage/index.ts';
import type { Keyed } from '../../src/storage/records.ts';
import type { MemoryFs } from './memory-fs.ts';

/** The directory the in-memory disk keeps the log in. */
export const DIR = '/data';

/** An acceptor record of question `id` at `round`; `padding` makes it larger (a long value). */
export function record(id: string, round: number, padding = 0): DurableDecision {
  return {
    id,
    config: { acceptors: ['a', 'b', 'c'], learners: [] },
    promised: { round, node: 'b' },
    accepted:
      round > 1
        ? { ballot: { round: round - 1, node: 'a' }, value: `v${round}${'x'.repeat(padding)}` }
        : null,
    roundUsed: round,
    proposal: null,
    chosen: null,
    certificate: null,
    conflict: null,
  };
}

/** A question of the catalog. */
export function question(n: number): QuestionRecord {
  const id = n.toString(16).padStart(32, '0');
  const peer = '12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
  return {
    id,
    definition: {
      id,
      title: `Question ${n}`,
      options: [],
      allowOther: true,
      createdBy: peer,
      createdAt: n,
      acceptors: [peer],
      learners: [],
      rule: 'quick',
      deadline: null,
    },
    decidedAt: null,
  };
}

/** The state a log holds after `batches` were written in order: the last record of each id. */
export function model<T extends Keyed>(batches: readonly (readonly T[])[]): Map<string, T> {
  const state = new Map<string, T>();
  for (const batch of batches) for (const r of batch) state.set(r.id, r);
  return state;
}

/** Options of the acceptor state's log on `fs`, with a small compaction threshold when given. */
export function paxosOn(
  fs: MemoryFs,
  create: boolean,
  compactAtBytes?: number,
): StateLogOptions<DurableDecision> {
  return { ...paxosStateOptions(create), fs, ...(compactAtBytes === undefined ? {} : { compactAtBytes }) };
}

export function sameRecords(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Offsets of the frames of a log that is intact (header length fields only; no checks). */
export function frameOffsets(buf: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 24 <= buf.length;) {
    offsets.push(at);
    at += 24 + buf.readUInt32LE(at + 4);
  }
  return offsets;
}
