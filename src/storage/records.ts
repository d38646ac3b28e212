import { z } from 'zod';
import type { DurableDecision } from '../paxos/index.ts';

/** Files on disk are a trust boundary too: every record read back is checked against this schema. */
const nodeId = z.string().min(1).max(256);
const ballot = z.object({ round: z.number().int().positive(), node: nodeId });

export const durableDecisionSchema = z.object({
  id: z.string().min(1).max(256),
  config: z.object({ acceptors: z.array(nodeId).min(1), learners: z.array(nodeId) }),
  promised: ballot.nullable(),
  accepted: z.object({ ballot, value: z.string() }).nullable(),
  roundUsed: z.number().int().nonnegative(),
  proposal: z.string().nullable(),
  chosen: z.string().nullable(),
}) satisfies z.ZodType<DurableDecision>;

/** One commit: the records of one group commit, or (snapshot) the whole state after a compaction. */
export const commitSchema = z.object({
  snapshot: z.boolean(),
  records: z.array(durableDecisionSchema),
});

export interface Commit {
  readonly snapshot: boolean;
  readonly records: readonly DurableDecision[];
}

export function encodeCommit(commit: Commit): Buffer {
  return Buffer.from(JSON.stringify(commit), 'utf8');
}

/** Parses a payload whose checksum matched; a schema mismatch then means a bug or a foreign file. */
export function decodeCommit(payload: Buffer): Commit | string {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'its payload is not JSON';
  }
  const parsed = commitSchema.safeParse(json);
  return parsed.success
    ? parsed.data
    : `its payload does not match the record schema (${parsed.error.issues[0]?.message ?? 'invalid'})`;
}
