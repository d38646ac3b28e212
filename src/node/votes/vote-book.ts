import { z } from 'zod';
import {
  decodeClose,
  encodeClose,
  MAX_VOTES_PER_QUESTION,
  memberVoteSchema,
  supersedes,
  type CloseValue,
  type MemberVote,
} from '../../model/rules.ts';
import { LIMITS } from '../../model/limits.ts';
import type { QuestionDefinition } from '../../model/question.ts';
import { voteReceiptSchema, type VoteReceipt } from '../../model/receipts.ts';
import type { StateLog, StateLogOptions } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';

/**
 * Vote sets kept for one question from closers other than its asker and acceptors: each close
 * attempt names one. Only the question's voters may close, each at most MAX_SETS_PER_CLOSER times, and
 * the asker's and the acceptors' sets are kept beyond this: voters who fill these places still cannot
 * stop the asker or an acceptor from closing. A question's sets hold at most
 * (MAX_SETS_PER_QUESTION + 3 × (1 + acceptors)) × its voters votes.
 */
export const MAX_SETS_PER_QUESTION = 32;
/** Vote sets one member's closes may leave on a question (a liar cannot take every place). */
export const MAX_SETS_PER_CLOSER = 8;
/**
 * Times one member's vote on one question may change (per run of this node): each change of a vote
 * cast before a close can make the acceptors refuse that close once, so a liar changing its vote
 * without end could keep a vote from closing.
 */
export const MAX_VOTE_CHANGES = 16;

/**
 * What the vote book keeps on disk: each member's standing vote on each question, and the vote sets
 * that closes committed to by digest. An acceptor accepts a close only once its set is here, so the
 * set of a chosen close is on the disks of a majority of the acceptors.
 */
export type VoteBookRecord =
  | {
      readonly id: string;
      readonly kind: 'vote';
      readonly vote: MemberVote;
      /** When this node took it (its own clock; absent in records from before). */
      readonly at?: number | undefined;
    }
  | {
      readonly id: string;
      readonly kind: 'set';
      readonly question: string;
      readonly digest: string;
      /** The close that committed to the set (its Paxos value), passed on with it. */
      readonly close: string;
      readonly votes: readonly MemberVote[];
      /** Closed by the question's asker or an acceptor (see MAX_SETS_PER_QUESTION). */
      readonly reserved?: boolean | undefined;
      /** When this node took it (its own clock; absent in records from before). */
      readonly at?: number | undefined;
    }
  | {
      readonly id: string;
      readonly kind: 'receipts';
      readonly question: string;
      /** The signature of this node's own vote they are for. */
      readonly vote: string;
      readonly receipts: readonly VoteReceipt[];
    };

const recordSchema = z.discriminatedUnion('kind', [
  z.object({ id: z.string(), kind: z.literal('vote'), vote: memberVoteSchema, at: z.number().optional() }),
  z.object({
    id: z.string(),
    kind: z.literal('set'),
    question: z.string(),
    digest: z.string(),
    close: z.string().refine((value) => decodeClose(value) !== null, 'not a close'),
    votes: z.array(memberVoteSchema).max(MAX_VOTES_PER_QUESTION),
    reserved: z.boolean().optional(),
    at: z.number().optional(),
  }),
  z.object({
    id: z.string(),
    kind: z.literal('receipts'),
    question: z.string(),
    vote: z.string(),
    receipts: z.array(voteReceiptSchema).max(LIMITS.maxAcceptors),
  }),
]) satisfies z.ZodType<VoteBookRecord>;

export function voteBookOptions(create: boolean): StateLogOptions<VoteBookRecord> {
  return { file: FILES.votes, schema: recordSchema, create, what: 'the votes' };
}

/** A vote set whose write is under way: its closer, whether its places are reserved, and its end. */
interface PendingSet {
  readonly by: string;
  readonly reserved: boolean;
  readonly written: Promise<void>;
}

/** The votes and vote sets this node holds, by question, backed by a durable log. */
export class VoteBook {
  readonly #log: StateLog<VoteBookRecord>;
  readonly #votes = new Map<string, Map<string, MemberVote>>();
  /** When this node took each standing vote, by question and member. */
  readonly #votesAt = new Map<string, number>();
  /** Votes kept per question and member in this run (see MAX_VOTE_CHANGES). */
  readonly #changes = new Map<string, number>();
  /** Writes under way: new voters by question, and sets by question and digest with their closers. */
  readonly #pendingVoters = new Map<string, Set<string>>();
  readonly #pendingSets = new Map<string, Map<string, PendingSet>>();
  readonly #sets = new Map<
    string,
    Map<string, { close: CloseValue; votes: readonly MemberVote[]; reserved: boolean; at: number }>
  >();

  readonly #clock: () => number;

  constructor(
    log: StateLog<VoteBookRecord>,
    records: Iterable<VoteBookRecord>,
    clock: () => number = Date.now,
  ) {
    this.#log = log;
    this.#clock = clock;
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
    const key = `${vote.question}:${vote.by}`;
    // Counted as soon as asked (writes run side by side): the bounds hold however many come at once.
    const voters = (votes?.size ?? 0) + (this.#pendingVoters.get(vote.question)?.size ?? 0);
    const newVoter =
      current === undefined && !(this.#pendingVoters.get(vote.question)?.has(vote.by) ?? false);
    if (newVoter && voters >= MAX_VOTES_PER_QUESTION) return 'full';
    if ((this.#changes.get(key) ?? 0) >= MAX_VOTE_CHANGES) return 'full';
    // Bounded by the votes held: one entry per member and question.
    this.#changes.set(key, (this.#changes.get(key) ?? 0) + 1);
    const pending = this.#pendingVoters.get(vote.question) ?? new Set<string>();
    if (newVoter) this.#pendingVoters.set(vote.question, pending.add(vote.by));
    const record: VoteBookRecord = {
      id: `v:${vote.question}:${vote.by}`,
      kind: 'vote',
      vote,
      at: this.#clock(),
    };
    try {
      await this.#log.write([record]);
    } finally {
      if (newVoter) {
        pending.delete(vote.by);
        if (pending.size === 0) this.#pendingVoters.delete(vote.question);
      }
    }
    // Two votes of one member written side by side: the newer stands, whichever fsync ends first.
    if (supersedes(vote, this.#votes.get(vote.question)?.get(vote.by))) this.#index(record);
    return 'kept';
  }

  /**
   * The votes a close committed to, with the close and when this node took it (0: before this was
   * noted), if this node holds them.
   */
  set(
    question: string,
    digest: string,
  ): { readonly close: CloseValue; readonly votes: readonly MemberVote[]; readonly at: number } | undefined {
    return this.#sets.get(question)?.get(digest);
  }

  /**
   * A set being written now: resolves when its write has ended (held from then on, if it succeeded).
   * An Accept that arrives while its set is on its way to the disk waits for it, rather than being
   * dropped and costing its proposer a phase timeout.
   */
  writing(question: string, digest: string): Promise<void> | undefined {
    return this.#pendingSets.get(question)?.get(digest)?.written;
  }

  /** When this node took a member's standing vote on a question (0: before this was noted). */
  votedAt(question: string, member: string): number {
    return this.#votesAt.get(`${question}:${member}`) ?? 0;
  }

  /**
   * Keeps the vote set `close` committed to (checked by the caller); resolves once it is on disk.
   * `reserved`: the closer is the question's asker or an acceptor, whose sets MAX_SETS_PER_QUESTION
   * does not limit.
   */
  async keepSet(
    close: CloseValue,
    votes: readonly MemberVote[],
    reserved = false,
  ): Promise<'kept' | 'held' | 'full'> {
    const { question, digest } = close;
    const sets = this.#sets.get(question);
    const pending = this.#pendingSets.get(question) ?? new Map<string, PendingSet>();
    if (sets?.has(digest) || pending.has(digest)) return 'held';
    // Counted as soon as asked (writes run side by side): the bounds hold however many come at once.
    const all = [
      ...[...(sets?.values() ?? [])].map((s) => ({ by: s.close.by, reserved: s.reserved })),
      ...[...pending.values()].map(({ by, reserved }) => ({ by, reserved })),
    ];
    if (all.filter((s) => s.by === close.by).length >= MAX_SETS_PER_CLOSER) return 'full';
    if (!reserved && all.filter((s) => !s.reserved).length >= MAX_SETS_PER_QUESTION) return 'full';
    let written: () => void = () => undefined;
    const entry = { by: close.by, reserved, written: new Promise<void>((resolve) => (written = resolve)) };
    this.#pendingSets.set(question, pending.set(digest, entry));
    const record: VoteBookRecord = {
      id: `s:${question}:${digest}`,
      kind: 'set',
      question,
      digest,
      close: encodeClose(close),
      votes: [...votes],
      ...(reserved ? { reserved } : {}),
      at: this.#clock(),
    };
    try {
      await this.#log.write([record]);
      this.#index(record);
    } finally {
      pending.delete(digest);
      if (pending.size === 0) this.#pendingSets.delete(question);
      written();
    }
    return 'kept';
  }

  /**
   * The acceptors' receipts this node holds for its own vote on the question (see VoteReceipt), for
   * the vote whose signature is `vote`: none for an older vote.
   */
  receipts(question: string, vote: string): readonly VoteReceipt[] {
    const held = this.#receipts.get(question);
    return held?.vote === vote ? held.receipts : [];
  }

  /** Keeps the receipts for this node's own vote `vote` on the question; resolves once on disk. */
  async keepReceipts(question: string, vote: string, receipts: readonly VoteReceipt[]): Promise<void> {
    const record: VoteBookRecord = { id: `r:${question}`, kind: 'receipts', question, vote, receipts };
    await this.#log.write([record]);
    this.#index(record);
  }

  readonly #receipts = new Map<string, { vote: string; receipts: readonly VoteReceipt[] }>();

  #index(record: VoteBookRecord): void {
    if (record.kind === 'receipts') {
      this.#receipts.set(record.question, { vote: record.vote, receipts: record.receipts });
    } else if (record.kind === 'vote') {
      const votes = this.#votes.get(record.vote.question) ?? new Map<string, MemberVote>();
      votes.set(record.vote.by, record.vote);
      this.#votes.set(record.vote.question, votes);
      this.#votesAt.set(`${record.vote.question}:${record.vote.by}`, record.at ?? 0);
    } else {
      const close = decodeClose(record.close);
      if (close === null) return;
      const sets = this.#sets.get(record.question) ?? new Map();
      sets.set(record.digest, {
        close,
        votes: record.votes,
        reserved: record.reserved === true,
        at: record.at ?? 0,
      });
      this.#sets.set(record.question, sets);
    }
  }
}

/** Whether `closer`'s vote sets are kept beyond MAX_SETS_PER_QUESTION: the asker's and acceptors'. */
export function isReservedCloser(definition: QuestionDefinition, closer: string): boolean {
  return closer === definition.createdBy || definition.acceptors.includes(closer);
}
