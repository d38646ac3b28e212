import { z } from 'zod';
import { LIMITS } from '../model/limits.ts';
import { DECISION_RULES, peerIdSchema, questionIdSchema, typedText } from '../model/question.ts';
import { bidAmountSchema } from '../model/rules.ts';
import { SynodError } from './types.ts';

/** Every API input is validated here, once, whichever transport (IPC, HTTP) carried it. */
export const inputSchemas = {
  createGroup: z.object({
    groupName: typedText('the group name', LIMITS.groupNameChars),
    displayName: typedText('your display name', LIMITS.displayNameChars),
  }),
  joinGroup: z.object({
    invite: z.string().min(1, 'paste the invite').max(4_000, 'that is too long to be an invite'),
    displayName: typedText('your display name', LIMITS.displayNameChars),
    waitMs: z.number().int().min(0).max(30_000).optional(),
  }),
  invite: z.object({ singleUse: z.boolean().optional() }).optional(),
  continueGroup: z
    .object({
      groupName: typedText('the group name', LIMITS.groupNameChars).optional(),
      displayName: typedText('your display name', LIMITS.displayNameChars).optional(),
    })
    .optional(),
  renameGroup: z.object({ name: typedText('the group name', LIMITS.groupNameChars) }),
  removal: z.object({ member: peerIdSchema }),
  revokeInvite: z.object({ invite: z.string().regex(/^[0-9a-f]{16}$/, 'not an invite id (16 hex digits)') }),
  addPeer: z.object({ address: z.string().min(1, 'give an address').max(300) }),
  createQuestion: z
    .object({
      title: typedText('the title', LIMITS.titleChars),
      options: z
        .array(typedText('an option', LIMITS.optionChars))
        .max(LIMITS.optionsPerQuestion, `a question has at most ${LIMITS.optionsPerQuestion} options`),
      allowOther: z.boolean().optional(),
      confirmAlone: z.boolean().optional(),
      rule: z.enum(DECISION_RULES).optional(),
      /** Epoch ms. */
      deadline: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().optional(),
    })
    .refine((q) => new Set(q.options).size === q.options.length, 'the same option is listed twice'),
  timeline: z.object({ questionId: questionIdSchema }),
  vote: z.object({
    questionId: questionIdSchema,
    option: typedText('the option', LIMITS.optionChars),
    waitMs: z.number().int().min(0).max(60_000).optional(),
  }),
  bid: z.object({
    questionId: questionIdSchema,
    amount: bidAmountSchema,
    option: typedText('the option', LIMITS.optionChars).optional(),
    waitMs: z.number().int().min(0).max(60_000).optional(),
  }),
  close: z.object({
    questionId: questionIdSchema,
    waitMs: z.number().int().min(0).max(60_000).optional(),
  }),
  propose: z.object({
    questionId: questionIdSchema,
    option: typedText('the option', LIMITS.optionChars),
    waitMs: z.number().int().min(0).max(60_000).optional(),
  }),
};

export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new SynodError('invalid-input', `${field}${issue?.message ?? 'invalid input'}`);
}
