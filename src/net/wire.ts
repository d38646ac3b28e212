import { z } from 'zod';
import type { Certificate, PaxosMessage } from '../paxos/index.ts';
import { LIMITS } from '../model/limits.ts';
import { signatureSchema, voteSchemas } from '../model/vote-schemas.ts';
import { groupChangeSchema, type GroupChange } from '../model/group/changes.ts';
import { MAX_VOTES_PER_QUESTION, memberVoteSchema, type MemberVote } from '../model/rules.ts';
import { voteReceiptSchema, type VoteReceipt } from '../model/receipts.ts';
import {
  isShowableText,
  peerIdSchema,
  questionDefinitionSchema,
  questionIdSchema,
  typedText,
  type QuestionDefinition,
} from '../model/question.ts';

/**
 * Synod's one wire protocol. Each message is a JSON object in a length-prefixed frame of at most
 * LIMITS.messageBytes on a long-lived libp2p stream; a breaking change gets a new protocol id.
 * The sender is never read from a message: it is the Noise-authenticated peer of the connection.
 */
export const PROTOCOL = '/synod/4.0.0';

const ballot = z.object({
  round: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  node: peerIdSchema,
});
/** A value is a signed proposal: the option (escaped in JSON), who proposed it, and the signature. */
const value = z.string().max(LIMITS.optionChars * 2 + 512);
/** A Paxos decision: a question, or a slot of the group log (`group:<n>`, see src/model/group). */
const decision = z.union([questionIdSchema, z.string().regex(/^group:(0|[1-9][0-9]{0,14})$/)]);
const signature = signatureSchema;
const { certificate } = voteSchemas({
  ballot,
  node: peerIdSchema,
  value,
  signature,
  maxSigners: LIMITS.maxAcceptors,
});
/**
 * What a Paxos message may carry: a question's value, or a change of the group log (a removal carries
 * the approvals of up to every member, so only the frame's limit bounds it).
 */
const paxosValue = z.union([value, z.string().startsWith('group1:').max(LIMITS.messageBytes)]);
const paxosParts = voteSchemas({
  ballot,
  node: peerIdSchema,
  value: paxosValue,
  signature,
  maxSigners: LIMITS.maxAcceptors,
});

const paxosSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('prepare'), decision, ballot }),
  z.object({
    kind: z.literal('promise'),
    decision,
    ballot,
    accepted: z.object({ ballot, value: paxosValue }).nullable(),
    signature,
  }),
  z.object({ kind: z.literal('accept'), decision, ballot, value: paxosValue, promises: paxosParts.promises }),
  z.object({ kind: z.literal('accepted'), decision, ballot, value: paxosValue, signature }),
  z.object({ kind: z.literal('nack'), decision, ballot, promised: ballot }),
  z.object({ kind: z.literal('decided'), decision, value: paxosValue, certificate: paxosParts.certificate }),
  z.object({ kind: z.literal('query'), decision }),
]) satisfies z.ZodType<PaxosMessage>;

const member = z.object({
  peerId: peerIdSchema,
  // The one text rule (no controls, nothing that reverses text), as for what a person types.
  name: typedText('a display name', LIMITS.displayNameChars),
  addresses: z.array(z.string().max(300)).max(16),
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  signature,
});

/** Votes in one `votes` message (each at most ~1 KB: well within a message). */
export const VOTES_PER_MESSAGE = 48;

export const wireSchema = z.discriminatedUnion('type', [
  /**
   * First message on every connection: which group I am in, and my own signed member record. Nothing
   * else from a peer counts before it: a connection is no member until it says a valid hello.
   */
  z.object({ type: z.literal('hello'), group: z.string().max(64), member }),
  /** Members I know and where they listen: lets every member reach every other (a full mesh). */
  z.object({ type: z.literal('members'), members: z.array(member).max(256) }),
  /** A question's definition, with its outcome and the outcome's certificate when known. */
  z.object({
    type: z.literal('question'),
    question: questionDefinitionSchema.refine(
      (q) => isShowableText(q.title) && q.options.every(isShowableText),
      'a title or an option with control characters or characters that reverse the direction of text',
    ),
    outcome: z.object({ value, certificate }).nullable(),
    /**
     * When the group decided it, as the sender has it (the time the first member learned it, passed
     * on): shown to people, never used to decide anything, so it needs no signature.
     */
    decidedAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  }),
  /**
   * A digest of the sender's catalog, in chunks, sent on connect: the receiver answers with only the
   * questions and outcomes the sender lacks (`done` marks the last chunk).
   */
  z.object({
    type: z.literal('catalog'),
    entries: z
      .array(
        z.object({
          id: questionIdSchema,
          outcome: z
            .string()
            .regex(/^[0-9a-f]{16}$/)
            .nullable(),
        }),
      )
      .max(700),
    done: z.boolean(),
  }),
  /** Asks for a question's definition (a Paxos message named one we have not seen). */
  z.object({ type: z.literal('question-request'), id: questionIdSchema }),
  z.object({ type: z.literal('paxos'), message: paxosSchema }),
  /** Members' signed votes and bids, as cast and passed on, and in batches on connect. */
  z.object({ type: z.literal('votes'), votes: z.array(memberVoteSchema).max(VOTES_PER_MESSAGE) }),
  /** The votes a close commits to (`close` is the close's Paxos value, naming their digest). */
  z.object({
    type: z.literal('vote-set'),
    close: value,
    votes: z.array(memberVoteSchema).max(MAX_VOTES_PER_QUESTION),
  }),
  /**
   * A newcomer's join, signed by it and by the invite it holds: it asks a member to propose it in the
   * group log (the only thing a connection that is no member yet may ask, besides the log itself).
   */
  z.object({
    type: z.literal('group-join'),
    change: groupChangeSchema.refine((c) => c.type === 'join', 'not a join'),
  }),
  /**
   * A member's request to remove another, signed by it, with the approvals the sender holds (each
   * signed by its member over the request): members gather them until a majority approves.
   */
  z.object({
    type: z.literal('group-removal'),
    change: groupChangeSchema.refine((c) => c.type === 'remove', 'not a removal'),
  }),
  /** Asks an acceptor of the question for its receipt of the voter's vote (see VoteReceipt). */
  z.object({ type: z.literal('vote-receipt-request'), question: questionIdSchema, voter: peerIdSchema }),
  /** An acceptor's receipt: it holds the vote on disk, and accepts no close that leaves it out. */
  z.object({ type: z.literal('vote-receipt'), receipt: voteReceiptSchema }),
  /** Asks for the votes of a close this node does not hold yet. */
  z.object({
    type: z.literal('vote-set-request'),
    question: questionIdSchema,
    digest: z.string().regex(/^[0-9a-f]{64}$/),
  }),
]);

export type WireMessage =
  | { readonly type: 'hello'; readonly group: string; readonly member: MemberAnnouncement }
  | { readonly type: 'members'; readonly members: readonly MemberAnnouncement[] }
  | {
      readonly type: 'question';
      readonly question: QuestionDefinition;
      readonly outcome: Outcome | null;
      readonly decidedAt?: number | null;
    }
  | { readonly type: 'catalog'; readonly entries: readonly CatalogEntry[]; readonly done: boolean }
  | { readonly type: 'question-request'; readonly id: string }
  | { readonly type: 'paxos'; readonly message: PaxosMessage }
  | { readonly type: 'votes'; readonly votes: readonly MemberVote[] }
  | { readonly type: 'vote-set'; readonly close: string; readonly votes: readonly MemberVote[] }
  | { readonly type: 'vote-set-request'; readonly question: string; readonly digest: string }
  | { readonly type: 'vote-receipt-request'; readonly question: string; readonly voter: string }
  | { readonly type: 'vote-receipt'; readonly receipt: VoteReceipt }
  | { readonly type: 'group-join'; readonly change: GroupChange }
  | { readonly type: 'group-removal'; readonly change: GroupChange };

/** The one message type allowed up to LIMITS.voteSetBytes, recognised before it is parsed. */
const VOTE_SET_PREFIX = Buffer.from('{"type":"vote-set",');

function maxBytes(message: WireMessage): number {
  return message.type === 'vote-set' ? LIMITS.voteSetBytes : LIMITS.messageBytes;
}

/** A decided value with the proof that a majority of the question's acceptors accepted it. */
export interface Outcome {
  readonly value: string;
  readonly certificate: Certificate;
}

/** One question in a catalog digest: its id, and a fingerprint of the outcome the sender holds. */
export interface CatalogEntry {
  readonly id: string;
  readonly outcome: string | null;
}

/**
 * A member's record: its name and addresses, versioned (`seq` only grows) and signed by the member
 * itself, so that whoever passes it on cannot change it.
 */
export interface MemberAnnouncement {
  readonly peerId: string;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly seq: number;
  readonly signature: string;
}

export function encodeWire(message: WireMessage): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(message), 'utf8');
  if (bytes.length > maxBytes(message))
    throw new Error(`a ${message.type} message of ${bytes.length} bytes is over the limit`);
  return bytes;
}

export type Decoded =
  { readonly ok: true; readonly message: WireMessage } | { readonly ok: false; readonly error: string };

/** Validates untrusted bytes from the network; never throws. */
export function decodeWire(bytes: Uint8Array): Decoded {
  // Only a vote set may be larger, and its size is checked before a byte of it is parsed.
  const large =
    bytes.length > LIMITS.messageBytes &&
    !Buffer.from(bytes.subarray(0, VOTE_SET_PREFIX.length)).equals(VOTE_SET_PREFIX);
  if (large || bytes.length > LIMITS.voteSetBytes)
    return { ok: false, error: `message of ${bytes.length} bytes is over the limit` };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, error: 'message is not JSON' };
  }
  const parsed = wireSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `invalid message: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    };
  }
  const message = parsed.data as WireMessage;
  // The prefix only let it be parsed: JSON's last "type" wins, so the limit follows the real type.
  if (bytes.length > maxBytes(message))
    return { ok: false, error: `a ${message.type} message of ${bytes.length} bytes is over the limit` };
  return { ok: true, message };
}
