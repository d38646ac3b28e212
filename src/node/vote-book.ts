import { z } from 'zod';
import {
  decodeClose,
  encodeClose,
  MAX_VOTES_PER_QUESTION,
  memberVoteSchema,
  supersedes,
  type CloseValue,
  type MemberVote,
} from '../model/rules.ts';
import type { StateLog, StateLogOptions } from '../storage/index.ts';
import { FILES } from './data-dir.ts';

/** Vote sets kept for one question: each close attempt names one. */
export const MAX_SETS_PER_QUESTION = 32;
/** Vote sets one member's closes may leave on a question (a liar cannot take every place). */
export const MAX_SETS_PER_CLOSER = 3;

/**
 * What the vote book keeps on disk: each member's standing vote on each question, and the vote sets
 * that closes committed to by digest. An acceptor accepts a close only once its set is here, so the
 * set of a chosen close is on the disks of a majority of the acceptors.
 */
export type VoteBookRecord =
  | { readonly id: string; readonly kind: 'vote'; readonly vote: MemberVote }
  | {
      readonly id: string;
      readonly kind: 'set';
      readonly question: string;
      readonly digest: string;
      /** The close that committed to the set (its Paxos value), passed on with it. */
      readonly close: string;
      readonly votes: readonly MemberVote[];
    };

const recordSchema = z.discriminatedUnion('kind', [
  z.object({ id: z.string(), kind: z.literal('vote'), vote: memberVoteSchema }),
  z.object({
    id: z.string(),
    kind: z.literal('set'),
    question: z.string(),
    digest: z.string(),
    close: z.string().refine((value) => decodeClose(value) !== null, 'not a close'),
    votes: z.array(memberVoteSchema).max(MAX_VOTES_PER_QUESTION),
  }),
]) satisfies z.ZodType<VoteBookRecord>;

export function voteBookOptions(create: boolean): StateLogOptions<VoteBookRecord> {
  return { file: FILES.votes, schema: recordSchema, create, what: 'the votes' };
}

/** The votes and vote sets this node holds, by question, backed by a durable log. */
export class VoteBook {
  readonly #log: StateLog<VoteBookRecord>;
  readonly #votes = new Map<string, Map<string, MemberVote>>();
  readonly #sets = new Map<string, Map<string, { close: CloseValue; votes: readonly MemberVote[] }>>();

  constructor(log: StateLog<VoteBookRecord>, records: Iterable<VoteBookRecord>) {
    this.#log = log;
    for (const record of records) this.#index(record);
  }

  /** The standing votes held for `question`. */
  standing(question: string): MemberVote[] {
    return [...(this.#votes.get(question)?.values() ?? [])];
  }

  voteOf(question: string, member: string): MemberVote | undefined {
    return this.#votes.get(question)?.get(member);
  }

  /**
   * Keeps `vote` if it is newer than the member's standing one; resolves once it is on disk, with
   * whether it changed anything. Refused beyond MAX_VOTES_PER_QUESTION members on one question.
   */
  async record(vote: MemberVote): Promise<'kept' | 'old' | 'full'> {
    const votes = this.#votes.get(vote.question);
    const current = votes?.get(vote.by);
    if (!supersedes(vote, current)) return 'old';
    if (current === undefined && (votes?.size ?? 0) >= MAX_VOTES_PER_QUESTION) return 'full';
    const record: VoteBookRecord = { id: `v:${vote.question}:${vote.by}`, kind: 'vote', vote };
    await this.#log.write([record]);
    this.#index(record);
    return 'kept';
  }

  /** The votes a close committed to, with the close, if this node holds them. */
  set(
    question: string,
    digest: string,
  ): { readonly close: CloseValue; readonly votes: readonly MemberVote[] } | undefined {
    return this.#sets.get(question)?.get(digest);
  }

  /** Keeps the vote set `close` committed to (checked by the caller); resolves once it is on disk. */
  async keepSet(close: CloseValue, votes: readonly MemberVote[]): Promise<'kept' | 'held' | 'full'> {
    const { question, digest } = close;
    const sets = this.#sets.get(question);
    if (sets?.has(digest)) return 'held';
    const byCloser = [...(sets?.values() ?? [])].filter((s) => s.close.by === close.by).length;
    if ((sets?.size ?? 0) >= MAX_SETS_PER_QUESTION || byCloser >= MAX_SETS_PER_CLOSER) return 'full';
    const record: VoteBookRecord = {
      id: `s:${question}:${digest}`,
      kind: 'set',
      question,
      digest,
      close: encodeClose(close),
      votes: [...votes],
    };
    await this.#log.write([record]);
    this.#index(record);
    return 'kept';
  }

  #index(record: VoteBookRecord): void {
    if (record.kind === 'vote') {
      const votes = this.#votes.get(record.vote.question) ?? new Map<string, MemberVote>();
      votes.set(record.vote.by, record.vote);
      this.#votes.set(record.vote.question, votes);
    } else {
      const close = decodeClose(record.close);
      if (close === null) return;
      const sets = this.#sets.get(record.question) ?? new Map();
      sets.set(record.digest, { close, votes: record.votes });
      this.#sets.set(record.question, sets);
    }
  }
}
