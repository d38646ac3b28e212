import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { QuestionDefinition } from '../../src/model/question.ts';
import type { VoteReceipt } from '../../src/model/receipts.ts';
import { encodeClose, type MemberVote } from '../../src/model/rules.ts';
import type { WireMessage } from '../../src/net/wire.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import type { VoteBook } from '../../src/node/votes/vote-book.ts';
import { VoteChecks } from '../../src/node/votes/vote-checks.ts';
import { VoteDesk } from '../../src/node/votes/vote-desk.ts';
import { ReceiptCollector } from '../../src/node/votes/receipt-collector.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { question } from '../helpers/state-log-fixtures.ts';

const GROUP = '0123456789abcdef';

type Member = Awaited<ReturnType<typeof member>>;

async function member() {
  const key = await generateKeyPair('Ed25519');
  const id = peerIdFromPrivateKey(key).toString();
  const signing = new Signing(GROUP, key);
  return { id, signing, checks: new VoteChecks(signing) };
}

/**
 * An acceptor's desk over a book the test fills, whose acceptor has accepted `accepted` (a close
 * value, or nothing), and the messages it sends.
 */
async function acceptorOf(acceptors: (self: string) => string[]) {
  const me = await member();
  const voter = await member();
  const definition: QuestionDefinition = {
    ...question(7).definition,
    rule: 'vote',
    options: ['Alien', 'Brazil'],
    allowOther: false,
    deadline: Date.now() + 60_000,
    acceptors: acceptors(me.id),
    createdBy: me.id,
    voters: [me.id, voter.id],
  };
  const held: MemberVote[] = [];
  const sets = new Map<string, readonly MemberVote[]>();
  const state = { accepted: null as string | null, now: null as number | null };
  const sent: { to: string; message: WireMessage }[] = [];
  const rejections: string[] = [];
  const book = {
    voteOf: (_q: string, by: string) => held.findLast((v) => v.by === by),
    record: async (vote: MemberVote) => {
      held.push(vote);
      return 'kept' as const;
    },
    set: (_q: string, digest: string) => (sets.has(digest) ? { votes: sets.get(digest) } : undefined),
    standing: () => held,
    writing: () => undefined,
  };
  const desk = new VoteDesk({
    self: me.id,
    book: book as unknown as VoteBook,
    log: silentLogger,
    question: () => ({ id: definition.id, definition, decidedAt: null }),
    openRuleQuestions: () => [],
    chosen: () => null,
    checks: () => me.checks,
    connectedPeers: () => [],
    send: (to, message) => sent.push({ to, message }),
    rejected: (_from, reason) => rejections.push(reason),
    changed: () => undefined,
    close: async () => undefined,
    proposal: () => null,
    accepted: () => state.accepted,
    revise: () => undefined,
    redeliver: () => undefined,
    now: () => state.now ?? Date.now(),
  });
  let seq = Date.now();
  const vote = (option: string): MemberVote =>
    voter.checks.signVote({ question: definition.id, by: voter.id, option, amount: null, seq: ++seq });
  /** A close over `votes`, as this acceptor would hold it once accepted. */
  const closeOver = (votes: readonly MemberVote[], digest: string) => {
    sets.set(digest, votes);
    return encodeClose({
      kind: 'close',
      question: definition.id,
      by: me.id,
      at: Date.now(),
      digest,
      count: votes.length,
      signature: 's'.repeat(86),
    });
  };
  const receipts = () =>
    sent.flatMap(({ message }) => (message.type === 'vote-receipt' ? [message.receipt] : []));
  return { me, voter, definition, desk, held, state, vote, closeOver, receipts, rejections, sent, sets };
}

describe('vote receipts: what an acceptor promises', () => {
  it('an acceptor holding a vote signs a receipt that checks; a tampered or misattributed one does not', async () => {
    const a = await acceptorOf((self) => [self]);
    await a.desk.receiveVotes(a.voter.id, [a.vote('Alien')]);
    a.desk.receipts.answer(a.voter.id, a.definition.id, a.voter.id);
    const [receipt] = a.receipts();
    assert.ok(receipt !== undefined, 'a receipt for the vote held');
    assert.equal(receipt.seq, a.held[0]?.seq);
    assert.equal(receipt.vote, a.held[0]?.signature);
    // Anyone checks it: signed by one of the question's acceptors, for this question.
    assert.equal(a.voter.checks.receiptProblem(a.definition, receipt), null);
    const forged: VoteReceipt = { ...receipt, seq: receipt.seq + 1 };
    assert.match(a.voter.checks.receiptProblem(a.definition, forged) ?? '', /without a valid signature/);
    const stranger = await member();
    const byStranger = stranger.checks.signVote({
      question: a.definition.id,
      by: a.voter.id,
      option: 'Alien',
      amount: null,
      seq: 1,
    });
    const notAcceptor = stranger.checks.signReceipt(byStranger, stranger.id);
    assert.match(
      a.voter.checks.receiptProblem(a.definition, notAcceptor) ?? '',
      /not among the question's acceptors/,
    );
    assert.match(
      a.voter.checks.receiptProblem({ ...a.definition, id: 'f'.repeat(32) }, receipt) ?? '',
      /another question/,
    );
  });

  it('no receipt from a member that is not an acceptor, nor for a vote not held', async () => {
    const other = await member();
    const a = await acceptorOf(() => [other.id]);
    await a.desk.receiveVotes(a.voter.id, [a.vote('Alien')]);
    assert.equal(a.held.length, 1, 'a member that is no acceptor still keeps and passes votes on');
    a.desk.receipts.answer(a.voter.id, a.definition.id, a.voter.id);
    assert.deepEqual(a.receipts(), []);
    const b = await acceptorOf((self) => [self]);
    b.desk.receipts.answer(b.voter.id, b.definition.id, b.voter.id);
    assert.deepEqual(b.receipts(), [], 'nothing held, nothing promised');
  });

  it('an acceptor that has accepted a close takes no more votes: not from peers, not from its own user', async () => {
    const a = await acceptorOf((self) => [self]);
    await a.desk.receiveVotes(a.voter.id, [a.vote('Alien')]);
    a.state.accepted = a.closeOver([...a.held], 'ab'.repeat(32));
    await a.desk.receiveVotes(a.voter.id, [a.vote('Brazil')]);
    assert.deepEqual(
      a.held.map((v) => v.option),
      ['Alien'],
      'the change of vote after the close is refused',
    );
    assert.match(a.rejections.join(), /after it accepted a close of the question/);
    await assert.rejects(a.desk.cast(a.definition.id, 'Brazil', null), /has accepted a close of it/);
    // The control: before any close is accepted, the same change is taken.
    const b = await acceptorOf((self) => [self]);
    await b.desk.receiveVotes(b.voter.id, [b.vote('Alien')]);
    await b.desk.receiveVotes(b.voter.id, [b.vote('Brazil')]);
    assert.deepEqual(
      b.held.map((v) => v.option),
      ['Alien', 'Brazil'],
    );
  });

  it('after a close is accepted, a receipt only for a vote that close counts', async () => {
    const a = await acceptorOf((self) => [self]);
    await a.desk.receiveVotes(a.voter.id, [a.vote('Alien')]);
    // A close accepted while the vote's write was still running: it leaves the vote out.
    a.state.accepted = a.closeOver([], 'cd'.repeat(32));
    a.desk.receipts.answer(a.voter.id, a.definition.id, a.voter.id);
    assert.deepEqual(a.receipts(), [], 'no promise the accepted close already breaks');
    // A close that counts it: the receipt holds.
    a.state.accepted = a.closeOver([...a.held], 'ef'.repeat(32));
    a.desk.receipts.answer(a.voter.id, a.definition.id, a.voter.id);
    assert.equal(a.receipts().length, 1);
  });
});

describe('a close judged by the acceptor’s clock', () => {
  it('another member’s close is taken only once the acceptor’s own clock has passed the deadline, whatever its date; one accepted already, at any time', async () => {
    const a = await acceptorOf((self) => [self]);
    const deadline = a.definition.deadline ?? 0;
    // The voter closes, its clock 90 s fast: its close is dated after the deadline.
    const close = a.voter.checks.close(a.definition, [], a.voter.id, deadline + 90_000);
    a.sets.set(close.digest, []);
    const accept = {
      kind: 'accept' as const,
      decision: a.definition.id,
      ballot: { round: 1, node: a.voter.id },
      value: encodeClose(close),
      promises: [],
    };
    a.state.now = deadline - 1_000;
    assert.equal(a.desk.admits(a.definition, a.voter.id, accept), false, 'a second early by this clock');
    assert.match(a.rejections.join(), /before the deadline \(by this acceptor's clock\)/);
    a.state.now = deadline;
    assert.equal(a.desk.admits(a.definition, a.voter.id, accept), true, 'at the deadline by this clock');
    // Dated before the deadline (a slow clock) and taken after it: the date decides nothing.
    const slow = a.voter.checks.close(a.definition, [], a.voter.id, deadline - 45_000);
    a.sets.set(slow.digest, []);
    assert.equal(a.desk.admits(a.definition, a.voter.id, { ...accept, value: encodeClose(slow) }), true);
    // Accepted already (it may have been chosen): taken again at a higher ballot, whatever the clock.
    a.state.now = deadline - 60_000;
    a.state.accepted = encodeClose(close);
    assert.equal(
      a.desk.admits(a.definition, a.voter.id, { ...accept, ballot: { round: 2, node: a.me.id } }),
      true,
    );
    // The asker's close, early: taken.
    a.state.accepted = null;
    const byAsker = a.me.checks.close(a.definition, [], a.me.id, Date.now());
    a.sets.set(byAsker.digest, []);
    assert.equal(a.desk.admits(a.definition, a.me.id, { ...accept, value: encodeClose(byAsker) }), true);
  });
});

describe("vote receipts: what the voter's laptop counts", () => {
  /** The voter's collector over a book holding its own vote, and the acceptors of the question. */
  async function voterWith(acceptorCount: number) {
    const me = await member();
    const acceptors = await Promise.all(Array.from({ length: acceptorCount }, member));
    const definition: QuestionDefinition = {
      ...question(9).definition,
      rule: 'vote',
      options: ['Alien', 'Brazil'],
      allowOther: false,
      deadline: Date.now() + 60_000,
      acceptors: acceptors.map((a) => a.id),
      createdBy: acceptors[0]?.id ?? '',
      voters: [me.id],
    };
    const votes: MemberVote[] = [];
    const kept = new Map<string, { vote: string; receipts: readonly VoteReceipt[] }>();
    const book = {
      voteOf: () => votes.at(-1),
      receipts: (q: string, vote: string) =>
        kept.get(q)?.vote === vote ? (kept.get(q)?.receipts ?? []) : [],
      keepReceipts: async (q: string, vote: string, receipts: readonly VoteReceipt[]) => {
        kept.set(q, { vote, receipts });
      },
    };
    const rejections: string[] = [];
    const collector = new ReceiptCollector({
      self: me.id,
      book: book as unknown as VoteBook,
      log: silentLogger,
      question: () => ({ id: definition.id, definition, decidedAt: null }),
      openRuleQuestions: () => [],
      checks: () => me.checks,
      connectedPeers: () => [],
      send: () => undefined,
      accepted: () => null,
      rejected: (_from, reason) => rejections.push(reason),
      changed: () => undefined,
      now: () => Date.now(),
    });
    let seq = 1;
    const vote = (option: string) => {
      const v = me.checks.signVote({ question: definition.id, by: me.id, option, amount: null, seq: seq++ });
      votes.push(v);
      return v;
    };
    return { me, acceptors, definition, collector, vote, rejections };
  }

  it('counts receipts for the current vote from a majority of the acceptors, and nothing else', async () => {
    const v = await voterWith(3);
    const [a1, a2, a3] = v.acceptors as [Member, Member, Member];
    const first = v.vote('Alien');
    await v.collector.receive(a1.id, a1.checks.signReceipt(first, a1.id));
    assert.deepEqual(v.collector.held(v.definition), { receipts: 1, needed: 2 });
    // The same acceptor again, or a forged receipt in another acceptor's name: nothing more.
    await v.collector.receive(a1.id, a1.checks.signReceipt(first, a1.id));
    const forged = { ...a1.checks.signReceipt(first, a1.id), by: a2.id };
    await v.collector.receive(a1.id, forged);
    assert.equal(v.collector.held(v.definition).receipts, 1);
    assert.match(v.rejections.join(), /without a valid signature/);
    // A receipt for a vote since changed counts for nothing.
    const second = v.vote('Brazil');
    await v.collector.receive(a2.id, a2.checks.signReceipt(first, a2.id));
    assert.equal(v.collector.held(v.definition).receipts, 0);
    await v.collector.receive(a2.id, a2.checks.signReceipt(second, a2.id));
    await v.collector.receive(a3.id, a3.checks.signReceipt(second, a3.id));
    assert.deepEqual(v.collector.held(v.definition), { receipts: 2, needed: 2 });
  });
});
