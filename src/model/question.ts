import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { signatureSchema } from './vote-schemas.ts';

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

/** C0 and C1 controls and DEL: a terminal acts on them (U+009B starts an escape sequence). */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * The invisible characters that reorder text (bidi marks, embeddings, overrides and isolates), with
 * which "Alice" can be made to read as another name, or an option to look like another.
 */
const DIRECTION_CHARACTERS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Synod's one rule for text that people read — names, titles, options — wherever it comes from: what a
 * person types (the API) and what another member sends (the wire). Text already on disk is read with
 * the looser `humanText`, so that no old record stops loading; it is never passed on unchecked.
 */
export function isShowableText(text: string): boolean {
  return !CONTROL_CHARACTERS.test(text) && !DIRECTION_CHARACTERS.test(text);
}

/** `humanText` under Synod's one text rule (see isShowableText). */
export function typedText(what: string, maxChars: number) {
  return humanText(what, maxChars)
    .refine((s) => !CONTROL_CHARACTERS.test(s), `${what} must not contain control characters`)
    .refine(
      (s) => !DIRECTION_CHARACTERS.test(s),
      `${what} must not contain characters that reverse the direction of text`,
    );
}

export const peerIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[1-9A-HJ-NP-Za-km-z]+$/, 'not a peer id');

export const questionIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'not a question id');

/**
 * How a question is decided (see src/model/rules.ts). Paxos always makes the final step, one decision
 * per question; the rule says what it decides on.
 */
export const DECISION_RULES = ['quick', 'vote', 'sealed-bid'] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];

/** A deadline is at most this far after the question is asked. */
export const MAX_DEADLINE_MS = 90 * 24 * 60 * 60_000;

/**
 * A question as created and shared: its acceptor set is fixed here and never changes. Its creator
 * signs it (questions kept from before signatures have none, and are not passed on).
 */
export const questionDefinitionSchema = z
  .object({
    id: questionIdSchema,
    title: humanText('the title', LIMITS.titleChars),
    options: z.array(humanText('an option', LIMITS.optionChars)).max(LIMITS.optionsPerQuestion),
    /** Whether a member may propose an answer that is not among `options` (always, when there are none). */
    allowOther: z.boolean().default(true),
    createdBy: peerIdSchema,
    createdAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    acceptors: z.array(peerIdSchema).min(1).max(LIMITS.maxAcceptors),
    learners: z.array(peerIdSchema).max(LIMITS.maxLearners),
    /**
     * Who may vote, bid and close a vote or an auction: the members the asker knew when it asked,
     * named here so that every node counts the same voters, and an identity made up later counts
     * nowhere. (Questions from before voters were named have none: see mayVote.)
     */
    voters: z.array(peerIdSchema).max(LIMITS.maxVoters).optional(),
    /**
     * In a group that keeps a group log, the epoch its asker held when it asked: its acceptors and
     * voters are members of that epoch, and every member checks so.
     */
    epoch: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    /** Questions from before rules were chosen are quick decisions. */
    rule: z.enum(DECISION_RULES).default('quick'),
    /** When any member may close a vote or an auction (before it, only its asker may); null: none. */
    deadline: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().default(null),
    signature: signatureSchema.optional(),
  })
  .refine((q) => new Set(q.acceptors).size === q.acceptors.length, 'an acceptor is listed twice')
  .refine(
    (q) => q.voters === undefined || new Set(q.voters).size === q.voters.length,
    'a voter is listed twice',
  )
  .refine(
    (q) => q.voters === undefined || [q.createdBy, ...q.acceptors].every((p) => q.voters?.includes(p)),
    'the asker and every acceptor are voters',
  )
  .refine((q) => q.rule !== 'quick' || q.deadline === null, 'a quick decision has no deadline')
  .refine(
    (q) => q.deadline === null || (q.deadline > q.createdAt && q.deadline <= q.createdAt + MAX_DEADLINE_MS),
    'the deadline must come after the question is asked, within 90 days',
  );

export type QuestionDefinition = z.infer<typeof questionDefinitionSchema>;

/**
 * Whether `peer` may vote, bid or close on the question: a voter its definition names, or, on a
 * question from before voters were named, its asker, an acceptor or a learner it names.
 */
export function mayVote(definition: QuestionDefinition, peer: string): boolean {
  if (definition.voters !== undefined) return definition.voters.includes(peer);
  return (
    peer === definition.createdBy || definition.acceptors.includes(peer) || definition.learners.includes(peer)
  );
}

/** Whether `option` may be proposed for the question. */
export function isAllowedOption(definition: QuestionDefinition, option: string): boolean {
  if (definition.options.includes(option)) return true;
  // An answer of a member's own is text people read: under the one text rule, wherever it comes from.
  return (definition.allowOther || definition.options.length === 0) && isShowableText(option);
}

/**
 * What Paxos decides for a question: an option, who proposed it, and that member's signature of the
 * two for this question. A value credited to a member is one that member proposed.
 */
export interface Proposal {
  readonly option: string;
  readonly by: string;
  readonly signature: string;
}

const proposalSchema = z.object({
  option: humanText('the option', LIMITS.optionChars),
  by: peerIdSchema,
  signature: signatureSchema,
});

/** Paxos values are opaque strings; this is how a proposal becomes one. */
export function encodeProposal(p: Proposal): string {
  return JSON.stringify({ option: p.option, by: p.by, signature: p.signature });
}

export function decodeProposal(value: string): Proposal | null {
  try {
    const parsed = proposalSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
