import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { describe, it } from 'node:test';
import type { QuestionDefinition } from '../../src/model/question.ts';
import { decodeClose, encodeClose, type CloseValue, type MemberVote } from '../../src/model/rules.ts';
import type { WireMessage } from '../../src/net/wire.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import { VoteBook, voteBookOptions } from '../../src/node/votes/vote-book.ts';
import { VoteChecks } from '../../src/node/votes/vote-checks.ts';
import { VoteDesk } from '../../src/node/votes/vote-desk.ts';
import type { PaxosMessage } from '../../src/paxos/index.ts';
import { StateLog } from '../../src/storage/index.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';
import { DIR } from '../helpers/state-log-fixtures.ts';

const GROUP = '0123456789abcdef';

async function member() {
  const key = await generateKeyPair('Ed25519');
  const id = peerIdFromPrivateKey(key).toString();
  return { id, checks: new VoteChecks(new Signing(GROUP, key)) };
}
const [alice, bob, carol] = await Promise.all([member(), member(), member()]);
const NOW = Date.now();
const question: QuestionDefinition = alice.checks.signDefinition({
  id: 'c'.repeat(32),
  title: 'Which film?',
  options: ['Alien', 'Brazil'],
  allowOther: false,
  createdBy: alice.id,
  createdAt: NOW - 60_000,
  acceptors: [alice.id, bob.id, carol.id],
  learners: [],
  voters: [alice.id, bob.id, carol.id],
  rule: 'vote',
  deadline: NOW + 600_000,
});
const vote = (m: typeof alice, option: string, seq: number): MemberVote =>
  m.checks.signVote({ question: question.id, by: m.id, option, amount: null, seq });

/** One member's desk, on a real vote book; what it sends, refuses and revises is recorded. */
async function deskOf(
  self: typeof alice,
  proposal: () => string | null = () => null,
  accepted: () => string | null = () => null,
) {
  const { log, records } = await StateLog.open(DIR, { ...voteBookOptions(true), fs: new MemoryFs() });
  // The book's clock: when this node took each vote and set, one step per record.
  let tick = 0;
  const book = new VoteBook(log, records.values(), () => ++tick);
  const sent: { to: string; message: WireMessage }[] = [];
  const rejected: string[] = [];
  const revised: string[] = [];
  const redelivered: PaxosMessage[] = [];
  const desk = new VoteDesk({
    self: self.id,
    book,
    log: silentLogger,
    question: (id) => (id === question.id ? { id, definition: question, decidedAt: null } : undefined),
    openRuleQuestions: () => [],
    chosen: () => null,
    checks: () => self.checks,
    connectedPeers: () => [],
    send: (to, message) => sent.push({ to, message }),
    rejected: (_from, reason) => rejected.push(reason),
    changed: () => undefined,
    close: async () => undefined,
    proposal,
    accepted,
    revise: (_id, value) => revised.push(value),
    redeliver: (_from, message) => redelivered.push(message),
    now: () => NOW,
  });
  return { desk, book, sent, rejected, revised, redelivered };
}

const accept = (close: CloseValue): PaxosMessage => ({
  kind: 'accept',
  decision: question.id,
  ballot: { round: 1, node: alice.id },
  value: encodeClose(close),
  promises: [],
});

describe('a close cannot hide votes', () => {
  const alicesVote = vote(alice, 'Alien', NOW - 5_000);
  const carolsFirst = vote(carol, 'Alien', NOW - 4_000);
  const carolsSecond = vote(carol, 'Brazil', NOW - 3_000);

  it('an acceptor refuses a close that leaves out a vote it holds, or holds a replaced one, and tells the closer what it left out', async () => {
    const { desk, book, sent, rejected } = await deskOf(bob);
    await book.record(alicesVote);
    await book.record(carolsSecond);
    const closeWith = async (votes: MemberVote[], at = NOW) => {
      const close = alice.checks.close(question, votes, alice.id, at);
      await book.keepSet(close, votes);
      return close;
    };
    // Control: the close over both standing votes is taken.
    assert.equal(desk.admits(question, alice.id, accept(await closeWith([alicesVote, carolsSecond]))), true);
    assert.equal(
      desk.acceptable(question.id, encodeClose(await closeWith([alicesVote, carolsSecond]))),
      true,
    );
    // Carol's vote dropped: refused, and Carol's vote goes to the closer.
    assert.equal(desk.admits(question, alice.id, accept(await closeWith([alicesVote]))), false);
    assert.match(rejected.at(-1) ?? '', /leaves out 1 votes/);
    const told = sent.filter((s) => s.to === alice.id && s.message.type === 'votes');
    assert.deepEqual(told.at(-1)?.message, { type: 'votes', votes: [carolsSecond] });
    // Carol's replaced vote instead of her standing one: refused too.
    assert.equal(desk.admits(question, alice.id, accept(await closeWith([alicesVote, carolsFirst]))), false);
    // A vote cast after the close (by the voter's clock) is not the closer's to know.
    assert.equal(desk.admits(question, alice.id, accept(await closeWith([alicesVote], NOW - 3_500))), true);
    // This node's own proposer is held to the same rule.
    assert.equal(desk.admitsOwn(accept(await closeWith([alicesVote]))), false);
  });

  it('a vote that reached the acceptor after the close did is the closer’s to miss; a close it accepted already it takes again', async () => {
    let accepted: string | null = null;
    const { desk, book } = await deskOf(
      bob,
      () => null,
      () => accepted,
    );
    await book.record(alicesVote);
    const close = alice.checks.close(question, [alicesVote], alice.id, NOW);
    await book.keepSet(close, [alicesVote]);
    await book.record(carolsSecond);
    assert.equal(desk.admits(question, alice.id, accept(close)), true, "Carol's vote came after the close");
    const early = alice.checks.close(question, [], alice.id, NOW);
    await book.keepSet(early, []);
    assert.equal(desk.admits(question, alice.id, accept(early)), false, 'control: it holds both votes');
    accepted = encodeClose(early);
    assert.equal(desk.admits(question, alice.id, accept(early)), true, 'accepted before: taken again');
  });

  it('a closer told of votes its close left out closes again over all it holds, for the ballots to come', async () => {
    let proposed: string | null = null;
    const { desk, book, revised } = await deskOf(alice, () => proposed);
    await book.record(alicesVote);
    const first = alice.checks.close(question, [alicesVote], alice.id, NOW - 1_000);
    await book.keepSet(first, [alicesVote]);
    proposed = encodeClose(first);
    await desk.receiveVotes(bob.id, [carolsSecond]);
    assert.equal(revised.length, 1, 'closed again');
    const second = decodeClose(revised[0] ?? '');
    assert.equal(second?.count, 2);
    assert.ok(second !== null && book.set(question.id, second.digest)?.votes.includes(carolsSecond));
    assert.equal(desk.acceptable(question.id, proposed), false, 'the first close is no longer acceptable');
    // Control: a vote already in the close changes nothing.
    proposed = revised[0] ?? null;
    await desk.receiveVotes(bob.id, [carolsSecond]);
    assert.equal(revised.length, 1);
  });

  it('an Accept that arrives while its set is being written waits for the write, instead of being dropped', async () => {
    const { desk, book, sent, redelivered } = await deskOf(bob);
    const close = alice.checks.close(question, [], alice.id, NOW);
    const kept = book.keepSet(close, []);
    const message = accept(close);
    assert.equal(desk.admits(question, alice.id, message), false, 'not yet: the set is not on disk');
    assert.deepEqual(redelivered, []);
    await kept;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(redelivered, [message], 'taken up again once the set is on disk');
    assert.equal(desk.admits(question, alice.id, message), true);
    assert.equal(sent.filter((s) => s.message.type === 'vote-set-request').length, 0, 'nothing asked for');
  });
});
