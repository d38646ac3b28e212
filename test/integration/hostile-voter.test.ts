import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { QuestionDefinition } from '../../src/model/question.ts';
import { encodeClose, type MemberVote } from '../../src/model/rules.ts';
import { FORGERIES_BEFORE_CUT_OFF } from '../../src/node/members/member-sessions.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import { MAX_SETS_PER_CLOSER } from '../../src/node/votes/vote-book.ts';
import { VoteChecks } from '../../src/node/votes/vote-checks.ts';
import type { PaxosMessage, PromiseEvidence } from '../../src/paxos/index.ts';
import { DaemonGroup, epochOf, question, sleep, waitFor, type DaemonProcess } from '../helpers/daemons.ts';
import { HostileMember } from '../helpers/hostile-member.ts';

/**
 * Mallory, a member with the group key, against three honest daemons, on votes: identities she
 * mints count nowhere, a close of hers before the deadline waits, her vote sets are bounded, and her
 * forged signatures cut her off. Each test also shows the attack is live (what she sends that is
 * genuine is taken), so that a refusal is the check's doing, not a broken harness.
 */
describe('a member who lies about votes', () => {
  let group: DaemonGroup;
  let mallory: HostileMember;
  let honest: DaemonProcess[];
  let n1: DaemonProcess;
  let ids: string[];

  before(async () => {
    group = await DaemonGroup.start(3);
    honest = group.daemons;
    n1 = honest[0] as DaemonProcess;
    ids = await Promise.all(honest.map(async (d) => (await d.client.status()).peerId));
    mallory = await HostileMember.invited((await n1.client.invite()).invite);
    for (const d of honest) await mallory.connect((await d.client.status()).addresses[0] ?? '');
    await waitFor(
      async () => {
        for (const d of honest)
          if (!(await d.client.peers()).some((p) => p.peerId === mallory.peerId && p.online)) return false;
        return true;
      },
      10_000,
      'Mallory to be connected',
    );
  });
  after(async () => {
    await mallory?.stop();
    await group?.stop();
  });

  const rejected = async () =>
    (await Promise.all(honest.map(async (d) => (await d.client.status()).rejectedMessages))).reduce(
      (a, b) => a + b,
    );
  const toEveryone = (message: Parameters<HostileMember['send']>[1]) => {
    for (const id of ids) mallory.send(id, message);
  };

  /** Identities Mallory makes up: keys of the group's kind that never said hello. */
  async function mint(count: number): Promise<{ id: string; checks: VoteChecks }[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const key = await generateKeyPair('Ed25519');
        return {
          id: peerIdFromPrivateKey(key).toString(),
          checks: new VoteChecks(new Signing(mallory.group.id, key)),
        };
      }),
    );
  }

  async function askVote(title: string, deadline: number): Promise<QuestionDefinition> {
    const q = await n1.client.createQuestion({ title, options: ['Alien', 'Brazil'], rule: 'vote', deadline });
    await waitFor(
      async () =>
        mallory.received.some((r) => r.message.type === 'question' && r.message.question.id === q.id),
      10_000,
      'the question to reach Mallory',
    );
    const announced = mallory.received.find(
      (r) => r.message.type === 'question' && r.message.question.id === q.id,
    );
    assert.ok(announced?.message.type === 'question');
    return announced.message.question;
  }

  const counted = async (d: DaemonProcess, id: string) => (await question(d.client, id))?.tally?.counted ?? 0;

  /** Mallory's phase 1 and 2 at her own ballot: how many honest acceptors accepted `value`. */
  async function mallorysRound(questionId: string, round: number, value: string): Promise<number> {
    const replies: { from: string; message: PaxosMessage }[] = [];
    mallory.answer((from, message) => {
      if (message.type === 'paxos' && message.message.decision === questionId)
        replies.push({ from, message: message.message });
    });
    try {
      const ballot = { round, node: mallory.peerId };
      toEveryone({ type: 'paxos', message: { kind: 'prepare', decision: questionId, ballot } });
      const promised = () =>
        replies.filter((r) => r.message.kind === 'promise' && r.message.ballot.round === round);
      await waitFor(async () => promised().length === 3, 10_000, `promises for round ${round}`);
      const promises: PromiseEvidence[] = promised().flatMap(({ from, message }) =>
        message.kind === 'promise'
          ? [{ acceptor: from, accepted: message.accepted, signature: message.signature }]
          : [],
      );
      toEveryone({
        type: 'paxos',
        message: { kind: 'accept', decision: questionId, ballot, value, promises },
      });
      await sleep(1_000);
      return replies.filter((r) => r.message.kind === 'accepted' && r.message.ballot.round === round).length;
    } finally {
      mallory.answer(() => undefined);
    }
  }

  it('votes of identities the question does not name count nowhere, nor does a close dated at the deadline minutes early; the honest tally decides', async () => {
    const deadline = Date.now() + 8 * 60_000;
    const q = await askVote('Which film tonight?', deadline);
    assert.deepEqual(
      [...ids, mallory.peerId].filter((p) => !(q.voters ?? []).includes(p)),
      [],
      'the honest members and Mallory, members before the question, are its voters',
    );
    for (const d of honest) await d.client.vote({ questionId: q.id, option: 'Alien' });

    // Control: Mallory's own vote is genuine, and counts like anyone's.
    const own = mallory.checks.signVote({
      question: q.id,
      by: mallory.peerId,
      option: 'Brazil',
      amount: null,
      seq: Date.now(),
    });
    toEveryone({ type: 'votes', votes: [own] });
    for (const d of honest)
      await waitFor(async () => (await counted(d, q.id)) === 4, 10_000, `${d.name} to count 4 votes`);

    // Five Brazil votes by identities she made up: refused everywhere, the tally unchanged.
    const minted = await mint(5);
    const invented: MemberVote[] = minted.map((m) =>
      m.checks.signVote({ question: q.id, by: m.id, option: 'Brazil', amount: null, seq: Date.now() }),
    );
    const before = await rejected();
    toEveryone({ type: 'votes', votes: invented });
    await waitFor(async () => (await rejected()) - before >= 15, 10_000, 'the invented votes to be refused');
    for (const d of honest) assert.equal(await counted(d, q.id), 4, `${d.name} counts only the voters`);

    // A close of hers, dated at the deadline (eight minutes early), over the invented votes: its set
    // is refused, and Paxos accepts nothing.
    const stuffed = [...invented, own];
    const close = mallory.checks.close(q, stuffed, mallory.peerId, deadline);
    toEveryone({ type: 'vote-set', close: encodeClose(close), votes: stuffed });
    assert.equal(
      await mallorysRound(q.id, 1, encodeClose(close)),
      0,
      'no acceptor accepted the stuffed close',
    );
    // The same early close over genuine votes only (hers; the honest ones dropped): its set is valid,
    // and it is still refused, for its date.
    const dropped = mallory.checks.close(q, [own], mallory.peerId, deadline);
    toEveryone({ type: 'vote-set', close: encodeClose(dropped), votes: [own] });
    assert.equal(
      await mallorysRound(q.id, 2, encodeClose(dropped)),
      0,
      'no acceptor accepted the early close',
    );

    // The asker closes: the honest tally, everywhere.
    const result = await n1.client.close({ questionId: q.id });
    assert.equal(result.state, 'decided');
    for (const d of honest) {
      await waitFor(
        async () => ((await question(d.client, q.id))?.outcome?.close?.tally ?? null) !== null,
        20_000,
        `${d.name} to show the decided tally`,
      );
      const view = await question(d.client, q.id);
      assert.equal(view?.outcome?.option, 'Alien', d.name);
      assert.equal(view?.outcome?.close?.tally?.counted, 4, `${d.name}: 3 Alien and Mallory's Brazil`);
    }
  });

  it(`vote sets are bounded per real member: one voter leaves ${MAX_SETS_PER_CLOSER}, invented closers none, and the asker still closes`, async () => {
    const deadline = Date.now() + 12_000;
    const q = await askVote('Which day?', deadline);
    for (const d of honest) await d.client.vote({ questionId: q.id, option: 'Alien' });
    const sizes = async () =>
      Promise.all(honest.map(async (d) => (await stat(join(d.dataDir, 'votes.log'))).size));
    const sizesBefore = await sizes();
    await sleep(Math.max(0, deadline - Date.now() + 200));
    // Many closes at once, each with a big set: twelve by Mallory, three each by eleven made-up closers.
    const padding = await mint(200);
    const fakeVotes = padding.map((m) =>
      m.checks.signVote({ question: q.id, by: m.id, option: 'Brazil', amount: null, seq: deadline - 1 }),
    );
    const before = await rejected();
    for (let n = 0; n < MAX_SETS_PER_CLOSER + 4; n++) {
      // Each set different (a set is kept once, by its digest): her own vote, signed anew each time.
      const votes = [
        mallory.checks.signVote({
          question: q.id,
          by: mallory.peerId,
          option: 'Brazil',
          amount: null,
          seq: deadline - 100 + n,
        }),
      ];
      const close = mallory.checks.close(q, votes, mallory.peerId, deadline + n);
      toEveryone({ type: 'vote-set', close: encodeClose(close), votes });
    }
    for (const closer of await mint(11))
      for (let n = 0; n < 3; n++) {
        const close = closer.checks.close(q, fakeVotes, closer.id, deadline + n);
        toEveryone({ type: 'vote-set', close: encodeClose(close), votes: fakeVotes });
      }
    // Per node: 4 of Mallory's sets over her limit, and all 33 of the made-up closers'.
    await waitFor(async () => (await rejected()) - before >= 3 * (4 + 33), 15_000, 'the sets to be refused');
    const grown = (await sizes()).map((s, i) => s - (sizesBefore[i] ?? 0));
    console.log(
      `votes.log grew by ${grown.join(', ')} bytes (three votes, the honest closes, and ${MAX_SETS_PER_CLOSER} sets of one vote of Mallory's)`,
    );
    // The refused sets alone are 33 × 200 signed votes: over 2 MB on every disk, had they been kept.
    for (const g of grown) assert.ok(g < 64 * 1024, `votes.log grew ${g} bytes`);
    for (const d of honest) {
      await waitFor(
        async () => ((await question(d.client, q.id))?.outcome?.close?.tally ?? null) !== null,
        20_000,
        `${d.name} to show the decided tally`,
      );
      assert.equal((await question(d.client, q.id))?.outcome?.option, 'Alien');
    }
  });

  it("an auction closed by its own asker (Mallory) with a bid dropped and another's replaced bid is refused; the honest bids decide", async () => {
    const epoch = await epochOf(n1);
    /** An auction Mallory asks, with the three honest members and her as acceptors and voters. */
    const askAuction = (title: string): QuestionDefinition => {
      const now = Date.now();
      const members = [mallory.peerId, ...ids];
      const definition = mallory.checks.signDefinition({
        id: randomBytes(16).toString('hex'),
        title,
        options: [],
        allowOther: false,
        createdBy: mallory.peerId,
        createdAt: now,
        acceptors: members,
        learners: [],
        voters: members,
        rule: 'sealed-bid',
        deadline: now + 15_000,
        ...epoch,
      });
      toEveryone({ type: 'question', question: definition, outcome: null });
      return definition;
    };
    const [, bobs, carols] = honest as [DaemonProcess, DaemonProcess, DaemonProcess];
    const bid = (m: HostileMember, q: QuestionDefinition, amount: number, seq: number) =>
      m.checks.signVote({ question: q.id, by: m.peerId, option: 'the lot', amount, seq });
    /** Bob bids 100; Carol 10, then 200; Mallory 20. What each honest node holds, once it holds it. */
    const bids = async (q: QuestionDefinition) => {
      for (const d of honest)
        await waitFor(async () => (await question(d.client, q.id)) !== undefined, 10_000, 'the auction');
      await bobs.client.bid({ questionId: q.id, amount: 100 });
      await carols.client.bid({ questionId: q.id, amount: 10 });
      const heardBid = (amount: number) =>
        mallory.received.some(
          (r) =>
            r.message.type === 'votes' &&
            r.message.votes.some((v) => v.question === q.id && v.amount === amount),
        );
      // Carol's first bid reaches Mallory before Carol replaces it.
      await waitFor(() => heardBid(10), 10_000, "Carol's first bid to reach Mallory");
      await carols.client.bid({ questionId: q.id, amount: 200 });
      const own = bid(mallory, q, 20, Date.now());
      toEveryone({ type: 'votes', votes: [own] });
      for (const d of honest)
        await waitFor(async () => (await counted(d, q.id)) === 3, 10_000, `${d.name} to hold 3 bids`);
      const heard = mallory.received.flatMap((r) => (r.message.type === 'votes' ? r.message.votes : []));
      const find = (by: string, amount: number) =>
        heard.find((v) => v.question === q.id && v.by === by && v.amount === amount);
      return {
        own,
        bobs: find(ids[1] as string, 100),
        carols10: find(ids[2] as string, 10),
        carols200: find(ids[2] as string, 200),
      };
    };
    /** Mallory's close at round 0 (hers, as the asker): how many honest acceptors accepted it. */
    const closeAtRoundZero = async (q: QuestionDefinition, votes: MemberVote[]) => {
      const close = mallory.checks.close(q, votes, mallory.peerId, Date.now());
      const value = encodeClose(close);
      const accepted: string[] = [];
      mallory.answer((from, message) => {
        if (
          message.type === 'paxos' &&
          message.message.kind === 'accepted' &&
          message.message.decision === q.id
        )
          accepted.push(from);
      });
      // The set first, then at once the Accept: an acceptor takes the close once its set is on disk.
      toEveryone({ type: 'vote-set', close: value, votes });
      toEveryone({
        type: 'paxos',
        message: {
          kind: 'accept',
          decision: q.id,
          ballot: { round: 0, node: mallory.peerId },
          value,
          promises: [],
        },
      });
      await sleep(1_500);
      mallory.answer(() => undefined);
      return accepted.length;
    };

    // Control: her close over every standing bid is accepted by the honest acceptors (and decides).
    const fair = askAuction('The painting');
    const b1 = await bids(fair);
    assert.ok(b1.bobs && b1.carols200);
    assert.equal(
      await closeAtRoundZero(fair, [b1.own, b1.bobs, b1.carols200]),
      3,
      'the complete close is accepted',
    );

    // The attack: Bob's bid dropped, Carol's replaced 10 in place of her 200.
    const rigged = askAuction('The vase');
    const b2 = await bids(rigged);
    assert.ok(b2.carols10);
    const before = await rejected();
    assert.equal(await closeAtRoundZero(rigged, [b2.own, b2.carols10]), 0, 'no honest acceptor accepted it');
    assert.ok((await rejected()) > before, 'refused, and counted');
    // At the deadline the honest acceptors close: Carol wins with 200, everywhere.
    for (const d of honest) {
      await waitFor(
        async () => ((await question(d.client, rigged.id))?.outcome?.close?.tally ?? null) !== null,
        30_000,
        `${d.name} to show the auction decided`,
      );
      const close = (await question(d.client, rigged.id))?.outcome?.close;
      assert.equal(close?.winningBid?.amount, 200, d.name);
      assert.equal(close?.winningBid?.member.peerId, ids[2], d.name);
    }
  });

  it('text that reverses direction or drives a terminal is refused over the wire as through the API', async () => {
    // A hello named U+202E + "1n" (shown as "n1", another member's name): never a member.
    const spoofer = await HostileMember.of(n1.dataDir);
    try {
      const before = await rejected();
      await spoofer.connect((await n1.client.status()).addresses[0] ?? '', '\u202e1n');
      await waitFor(async () => (await rejected()) > before, 10_000, 'the hello to be refused');
      assert.ok(!(await n1.client.peers()).some((p) => p.peerId === spoofer.peerId));
    } finally {
      await spoofer.stop();
    }
    // A question of Mallory's with a C1 control (U+009B starts a terminal escape) in its title.
    const now = Date.now();
    const definition = mallory.checks.signDefinition({
      id: randomBytes(16).toString('hex'),
      title: 'Lunch \u009b31m?',
      options: ['Yes', 'No'],
      allowOther: false,
      createdBy: mallory.peerId,
      createdAt: now,
      acceptors: [mallory.peerId, ...ids],
      learners: [],
      rule: 'quick',
      deadline: null,
      ...(await epochOf(n1)),
    });
    const before = await rejected();
    toEveryone({ type: 'question', question: definition, outcome: null });
    await waitFor(async () => (await rejected()) - before >= 3, 10_000, 'the question to be refused');
    for (const d of honest) assert.equal(await question(d.client, definition.id), undefined, d.name);
    // Control: the same question with a plain title is taken by everyone.
    const plain = mallory.checks.signDefinition({
      ...withoutSignature(definition),
      id: randomBytes(16).toString('hex'),
      title: 'Lunch?',
    });
    toEveryone({ type: 'question', question: plain, outcome: null });
    for (const d of honest)
      await waitFor(
        async () => (await question(d.client, plain.id)) !== undefined,
        10_000,
        `${d.name} to take the plain question`,
      );
  });

  it(`a member that sends forged signatures is cut off after ${FORGERIES_BEFORE_CUT_OFF}, and the group goes on deciding at once`, async () => {
    const q = await askVote('Which snack?', Date.now() + 5 * 60_000);
    // Votes "by Alice" with random signatures, 48 to a message, as fast as it goes.
    const forged = (): MemberVote[] =>
      Array.from({ length: 48 }, (_, i) => ({
        question: q.id,
        by: ids[0] as string,
        option: 'Brazil',
        amount: null,
        seq: Date.now() + i,
        signature: randomBytes(64).toString('base64url'),
      }));
    for (let n = 0; n < 500; n++) toEveryone({ type: 'votes', votes: forged() });
    for (const d of honest)
      await waitFor(
        async () => (await d.client.status()).cutOffPeers === 1,
        10_000,
        `${d.name} to cut Mallory off`,
      );
    for (const d of honest) {
      const status = await d.client.status();
      assert.ok(status.forgedSignatures >= FORGERIES_BEFORE_CUT_OFF, `${d.name}: ${status.forgedSignatures}`);
      assert.ok(
        status.forgedSignatures < 500,
        `${d.name} stopped checking her messages (${status.forgedSignatures})`,
      );
    }
    await waitFor(
      async () => ids.every((id) => !mallory.isConnected(id)),
      10_000,
      'Mallory to be hung up on',
    );
    const started = performance.now();
    const quick = await n1.client.createQuestion({ title: 'Tea or coffee?', options: ['Tea', 'Coffee'] });
    const result = await n1.client.propose({ questionId: quick.id, option: 'Tea' });
    const ms = performance.now() - started;
    console.log(`after the flood: a decision in ${ms.toFixed(0)} ms`);
    assert.equal(result?.state, 'decided');
    for (const d of honest) assert.equal(await counted(d, q.id), 0, `${d.name} counted no forged vote`);
  });
});

function withoutSignature(q: QuestionDefinition): Omit<QuestionDefinition, 'signature'> {
  const copy: Partial<QuestionDefinition> = { ...q };
  delete copy.signature;
  return copy as Omit<QuestionDefinition, 'signature'>;
}
