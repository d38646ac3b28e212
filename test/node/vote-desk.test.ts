import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { QuestionDefinition } from '../../src/model/question.ts';
import { encodeClose, type MemberVote } from '../../src/model/rules.ts';
import type { WireMessage } from '../../src/net/wire.ts';
import type { VoteBook } from '../../src/node/votes/vote-book.ts';
import { CHOSEN_SET_RETRY_MAX_MS, VoteDesk } from '../../src/node/votes/vote-desk.ts';
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

/** A desk whose book holds no vote set until the test puts one there, on a clock the test moves. */
function desk(connected: string[]) {
  const sets = new Map<string, readonly MemberVote[]>();
  const book = { set: (_q: string, d: string) => (sets.has(d) ? { votes: sets.get(d) } : undefined) };
  const requests: string[] = [];
  const d = new VoteDesk({
    self: 'me',
    book: book as unknown as VoteBook,
    log: silentLogger,
    question: () => undefined,
    openRuleQuestions: () => [],
    chosen: () => chosen,
    checks: () => {
      throw new Error('not used');
    },
    connectedPeers: () => connected,
    send: (to: string, message: WireMessage) => {
      if (message.type === 'vote-set-request') requests.push(to);
    },
    rejected: () => undefined,
    changed: () => undefined,
    close: async () => undefined,
    proposal: () => null,
    accepted: () => null,
    revise: () => undefined,
    redeliver: () => undefined,
    now: () => Date.now(),
  });
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
    const d = new VoteDesk({
      self: PEER,
      book: book as unknown as VoteBook,
      log: silentLogger,
      question: () => ({ id: open.id, definition: open, decidedAt: null }),
      openRuleQuestions: () => [],
      chosen: () => null,
      checks: () =>
        ({ signVote: (v: Omit<MemberVote, 'signature'>) => ({ ...v, signature: 's'.repeat(86) }) }) as never,
      connectedPeers: () => ['a'],
      send: (_to: string, message: WireMessage) => sent.push(message.type),
      rejected: () => undefined,
      changed: (id) => changed.push(id),
      close: async () => undefined,
      proposal: () => null,
      accepted: () => null,
      revise: () => undefined,
      redeliver: () => undefined,
      now: () => Date.now(),
    });
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
