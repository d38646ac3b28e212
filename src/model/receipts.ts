import { z } from 'zod';
import { peerIdSchema, questionIdSchema } from './question.ts';
import { signatureSchema } from './vote-schemas.ts';

/**
 * An acceptor's signed word that it holds a member's vote (or bid) on disk, and that no close it
 * accepts leaves that vote out: once a strict majority of a question's acceptors have given one for
 * a vote, every close Paxos can choose counts it (two majorities of the same acceptors meet). `vote`
 * is the vote's own signature: it names exactly which vote, even of a member that signed two with
 * one number.
 */
export const voteReceiptSchema = z.object({
  question: questionIdSchema,
  voter: peerIdSchema,
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  vote: signatureSchema,
  by: peerIdSchema,
  signature: signatureSchema,
});
export type VoteReceipt = z.infer<typeof voteReceiptSchema>;
