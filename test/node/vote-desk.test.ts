import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { QuestionDefinition } from '../../src/model/question.ts';
import { encodeClose, type MemberVote } from '../../src/model/rules.ts';
import type { WireMessage } from '../../src/net/wire.ts';
import type { VoteBook } from '../../src/node/votes/vote-book.ts';
import { CHOSEN_SET_RETRY_MAX_MS, VoteDesk, type VoteDeskContext } from '../../src/node/votes/vote-desk.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { question } from '../helpers/state-log-fixtures.ts';

const PEER = '12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
const definition: QuestionDefinition = { ...question(1).definition, rule: 'vote', deadline: 1_000 };
const digest = 'ab'.repeat(32);
const chosen = encodeClose({
  kind: 'close',
  question: definition.id,
  by: PEER,
  at: 1_000,
  digest,
  count: 0,
  signature: 'x'.repeat(86),
});

/** A desk's context that does nothing: each test says what it needs of it. */
function quietContext(overrides: Partial<VoteDeskContext>): VoteDeskContext {
  return {
    self: 'me',
    book: {} as VoteBook,
    log: silentLogger,
    question: () => undefined,
    openRuleQuestions: () => [],
    chosen: () => null,
    checks: () => {
      throw new Error('not used');
    },
    connectedPeers: () => [],
    send: () => undefined,
    rejected: () => undefined,
    changed: () => undefined,
    close: async () => undefined,
    proposal: () => null,
    accepted: () => null,
    revise: () => undefined,
    redeliver: () => undefined,
    now: () => Date.now(),
    ...overrides,
  };
}

/** A desk whose book holds no vote set until the test puts one there, on a clock the test moves. */
function desk(connected: string[]) {
  const sets = new Map<string, readonly MemberVote[]>();
  const book = { set: (_q: string, d: string) => (sets.has(d) ? { votes: sets.get(d) } : undefined) };
  const requests: string[] = [];
  const d = new VoteDesk(
    quietContext({
      book: book as unknown as VoteBook,
      chosen: () => chosen,
      connectedPeers: () => connected,
      send: (to: string, message: WireMessage) => {
        if (message.type === 'vote-set-request') requests.push(to);
      },
    }),
  );
  return { d, sets, requests };
}

describe('the votes of a chosen close that this node lacks', () => {
  it('are asked for again, with backoff, until they come; and at once from a member that connects', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const { d, sets, requests } = desk(['a', 'b']);
      d.wantChosenSet(definition, chosen);
      assert.deepEqual(requests, ['a', 'b'], 'asked at once, of every member connected');
      mock.timers.tick(1_000);
      assert.equal(requests.length, 4, 'again after 1 s');
      mock.timers.tick(1_000);
      assert.equal(requests.length, 4, 'then after 2 s, not 1 s');
      mock.timers.tick(1_000);
      assert.equal(requests.length, 6);
      for (let i = 0; i < 20; i++) mock.timers.tick(CHOSEN_SET_RETRY_MAX_MS);
      assert.ok(requests.length >= 6 + 2 * 15, `still asking after minutes (${requests.length})`);
      d.connected('c');
      assert.equal(requests.at(-1), 'c', 'a member that connects is asked at once');
      sets.set(digest, []);
      const before = requests.length;
      for (let i = 0; i < 5; i++) mock.timers.tick(CHOSEN_SET_RETRY_MAX_MS);
      assert.equal(requests.length, before, 'once held, never asked for again');
      d.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it('are not asked for when held, nor for a quick decision', () => {
    const { d, sets, requests } = desk(['a']);
    sets.set(digest, []);
    d.wantChosenSet(definition, chosen);
    d.wantChosenSet({ ...definition, rule: 'quick', deadline: null }, chosen);
    assert.deepEqual(requests, []);
    d.stop();
  });
});

describe('a vote this node casts', () => {
  it('leaves for the members, and is said to be cast, only once it is on disk', async () => {
    let written: () => void = () => undefined;
    const book = {
      voteOf: () => undefined,
      record: () => new Promise<'kept'>((resolve) => (written = () => resolve('kept'))),
    };
    const sent: string[] = [];
    const changed: string[] = [];
    const open = { ...definition, deadline: Date.now() + 60_000, options: ['Alien'] };
    const d = new VoteDesk(
      quietContext({
        self: PEER,
        book: book as unknown as VoteBook,
        question: () => ({ id: open.id, definition: open, decidedAt: null }),
        checks: () =>
          ({
            signVote: (v: Omit<MemberVote, 'signature'>) => ({ ...v, signature: 's'.repeat(86) }),
          }) as never,
        connectedPeers: () => ['a'],
        send: (_to: string, message: WireMessage) => sent.push(message.type),
        changed: (id) => changed.push(id),
      }),
    );
    const cast = d.cast(open.id, 'Alien', null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [], 'nothing sent before the write');
    assert.deepEqual(changed, [], 'nothing said before the write');
    written();
    await cast;
    assert.deepEqual(sent, ['votes']);
    assert.deepEqual(changed, [open.id]);
    d.stop();
  });
});

describe('a vote that reaches an acceptor', () => {
  const ACCEPTOR = 'me';
  /** A desk on a clock the test sets, whose book records what it is given; checks pass every vote. */
  function acceptorDesk(acceptors: readonly string[]) {
    const recorded: MemberVote[] = [];
    const rejections: string[] = [];
    const relayed: MemberVote[] = [];
    let now = 0;
    const open = { ...definition, deadline: 10_000, acceptors: [...acceptors] };
    const book = {
      voteOf: (_q: string, by: string) => recorded.findLast((v) => v.by === by),
      record: async (vote: MemberVote) => {
        recorded.push(vote);
        return 'kept' as const;
      },
      set: () => undefined,
      standing: () => recorded,
    };
    const d = new VoteDesk(
      quietContext({
        self: ACCEPTOR,
        book: book as unknown as VoteBook,
        question: () => ({ id: open.id, definition: open, decidedAt: null }),
        checks: () => ({ voteProblem: () => null }) as never,
        connectedPeers: () => [PEER, 'other'],
        send: (_to: string, message: WireMessage) => {
          if (message.type === 'votes') relayed.push(...message.votes);
        },
        rejected: (_from, reason) => rejections.push(reason),
        now: () => now,
      }),
    );
    const vote = (by: string, seq: number): MemberVote => ({
      question: open.id,
      by,
      option: 'Alien',
      amount: null,
      seq,
      signature: `${by}:${seq}`.padEnd(86, 's'),
    });
    return {
      d,
      recorded,
      rejections,
      relayed,
      vote,
      setNow: (t: number) => (now = t),
      deadline: open.deadline,
    };
  }

  it('after the deadline by the acceptor’s clock is refused, whatever time its voter signed', async () => {
    const { d, recorded, rejections, relayed, vote, setNow, deadline } = acceptorDesk([ACCEPTOR, 'b', 'c']);
    setNow(deadline - 1);
    await d.receiveVotes(PEER, [vote('v1', 1)]);
    assert.equal(recorded.length, 1, 'a moment before the deadline it is taken (the control)');
    setNow(deadline);
    // Signed long before the deadline by its voter's clock: a claim, not a fact.
    await d.receiveVotes(PEER, [vote('v2', 1), vote('v1', 2)]);
    assert.deepEqual(
      recorded.map((v) => `${v.by}:${v.seq}`),
      ['v1:1'],
      'neither a new vote nor a changed one is taken at the deadline',
    );
    assert.equal(rejections.length, 2);
    assert.match(rejections[0] ?? '', /after the deadline/);
    assert.deepEqual(
      relayed.map((v) => v.by),
      ['v1'],
      'a refused vote is not passed on',
    );
    // A vote it took before, sent again, is no news and no offence.
    await d.receiveVotes(PEER, [vote('v1', 1)]);
    assert.equal(rejections.length, 2);
    d.stop();
  });

  it('at a node that is not one of its acceptors is still taken after the deadline (a closer merges it)', async () => {
    const { d, recorded, rejections, vote, setNow, deadline } = acceptorDesk(['a', 'b', 'c']);
    setNow(deadline + 60_000);
    await d.receiveVotes(PEER, [vote('v1', 1)]);
    assert.equal(recorded.length, 1);
    assert.deepEqual(rejections, []);
    d.stop();
  });
});
