import { z } from 'zod';
import type { Certificate, Conflict } from '../paxos/index.ts';

/** An Ed25519 signature (64 bytes) in unpadded base64url. */
export const signatureSchema = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'not a signature');

/**
 * The shapes of certificates and conflict evidence, for the two boundaries that read them (the wire
 * and the state log); each passes its own bounds for node ids, values and signatures.
 */
export function voteSchemas(parts: {
  readonly ballot: z.ZodType<{ round: number; node: string }>;
  readonly node: z.ZodType<string>;
  readonly value: z.ZodType<string>;
  readonly signature: z.ZodType<string>;
  /** The most signatures of each kind in one certificate. */
  readonly maxSigners: number;
}) {
  const { ballot, node, value, signature, maxSigners } = parts;
  const promise = z.object({ acceptor: node, accepted: z.object({ ballot, value }).nullable(), signature });
  const certificate = z.object({
    ballot,
    accepted: z
      .array(z.object({ acceptor: node, signature }))
      .min(1)
      .max(maxSigners),
    promises: z.array(promise).max(maxSigners),
  }) satisfies z.ZodType<Certificate>;
  const conflict = z.object({
    value,
    certificate,
    liars: z.array(node).max(maxSigners),
    signedBoth: z.array(node).max(maxSigners),
  }) satisfies z.ZodType<Conflict>;
  /** The signed Promises an Accept carries (its phase 1). */
  const promises = z.array(promise).max(maxSigners);
  return { certificate, conflict, promises };
}
