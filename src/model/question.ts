import { z } from 'zod';
import { LIMITS } from './limits.ts';

/** Text typed by a person: trimmed, non-empty, bounded, without control characters. */
export function humanText(what: string, maxChars: number) {
  return z
    .string()
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(1, `${what} must not be empty`)
        .max(maxChars, `${what} has at most ${maxChars} characters`)
        // eslint-disable-next-line no-control-regex
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `${what} must not contain control characters`),
    );
}

export const peerIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[1-9A-HJ-NP-Za-km-z]+$/, 'not a peer id');

export const questionIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'not a question id');

/** A question as created and shared: its acceptor set is fixed here and never changes. */
export const questionDefinitionSchema = z
  .object({
    id: questionIdSchema,
    title: humanText('the title', LIMITS.titleChars),
    options: z.array(humanText('an option', LIMITS.optionChars)).max(LIMITS.optionsPerQuestion),
    createdBy: peerIdSchema,
    createdAt: z.number().int().nonnegative(),
    acceptors: z.array(peerIdSchema).min(1).max(LIMITS.maxAcceptors),
    learners: z.array(peerIdSchema).max(256),
  })
  .refine((q) => new Set(q.acceptors).size === q.acceptors.length, 'an acceptor is listed twice');

export type QuestionDefinition = z.infer<typeof questionDefinitionSchema>;

/** What Paxos decides for a question: an option, and who proposed it. */
export interface Proposal {
  readonly option: string;
  readonly by: string;
}

const proposalSchema = z.object({ option: humanText('the option', LIMITS.optionChars), by: peerIdSchema });

/** Paxos values are opaque strings; this is how a proposal becomes one. */
export function encodeProposal(p: Proposal): string {
  return JSON.stringify({ option: p.option, by: p.by });
}

export function decodeProposal(value: string): Proposal | null {
  try {
    const parsed = proposalSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
