import { z } from 'zod';
import { voteSchemas } from '../model/vote-schemas.ts';
import type { DurableDecision } from '../paxos/index.ts';

/** Files on disk are a trust boundary too: every record read back is checked against this schema. */
const nodeId = z.string().min(1).max(256);
const ballot = z.object({ round: z.number().int().nonnegative(), node: nodeId });
const { certificate, conflict } = voteSchemas({
  ballot,
  node: nodeId,
  value: z.string(),
  signature: z.string(),
  maxSigners: 256,
});

export const durableDecisionSchema = z.object({
  id: z.string().min(1).max(256),
  config: z.object({
    acceptors: z.array(nodeId).min(1),
    learners: z.array(nodeId),
    // Records written before the first ballot existed have none: all their ballots need phase 1.
    firstProposer: nodeId.nullable().optional(),
  }),
  promised: ballot.nullable(),
  accepted: z.object({ ballot, value: z.string() }).nullable(),
  roundUsed: z.number().int().nonnegative(),
  proposal: z.string().nullable(),
  chosen: z.string().nullable(),
  // Records written before outcomes carried certificates have neither field.
  certificate: certificate.nullable().default(null),
  conflict: conflict.nullable().default(null),
}) satisfies z.ZodType<DurableDecision>;

/** Records of a log are keyed by id: a later record replaces an earlier one with the same id. */
export interface Keyed {
  readonly id: string;
}

/** One commit: the records of one group commit, or (snapshot) the whole state after a compaction. */
export interface Commit<T extends Keyed> {
  readonly snapshot: boolean;
  readonly records: readonly T[];
}

export function encodeCommit<T extends Keyed>(commit: Commit<T>): Buffer {
  return Buffer.from(JSON.stringify(commit), 'utf8');
}

/** The schema of a whole commit whose records follow `schema`: build it once per log read. */
export function commitSchemaOf<T extends Keyed>(schema: z.ZodType<T>): z.ZodType<Commit<T>> {
  return z.object({ snapshot: z.boolean(), records: z.array(schema) });
}

/** Parses a payload whose checksum matched; a schema mismatch then means a bug or a foreign file. */
export function decodeCommit<T extends Keyed>(
  payload: Buffer,
  commitSchema: z.ZodType<Commit<T>>,
): Commit<T> | string {
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
