import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encodeProposal, type QuestionDefinition } from '../../src/model/question.ts';
import type { Ballot, Certificate, PaxosMessage, PromiseEvidence } from '../../src/paxos/index.ts';
import {
  DaemonGroup,
  decidedOption,
  question,
  sleep,
  waitFor,
  type DaemonProcess,
} from '../helpers/daemons.ts';
import { HostileMember } from '../helpers/hostile-member.ts';

/**
 * A member with the group key who lies (Mallory), against three honest daemons. Each attack worked
 * before votes, outcomes and questions were signed; each test checks that nothing is adopted, nothing
 * persists, and the group still decides.
 */
describe('a member who lies', () => {
  let group: DaemonGroup;
  let mallory: HostileMember;
  let honest: DaemonProcess[];
  let n1: DaemonProcess;
  let n2: DaemonProcess;
  let n3: DaemonProcess;
  let ids: string[];
  /** The honest members' peer ids: Alice runs n1, Bob n2. */
  let alice: string;
  let bob: string;

  before(async () => {
    group = await DaemonGroup.start(3);
    honest = group.daemons;
    [n1, n2, n3] = honest as [DaemonProcess, DaemonProcess, DaemonProcess];
    ids = await Promise.all(honest.map(async (d) => (await d.client.status()).peerId));
    [alice, bob] = ids as [string, string];
    mallory = await HostileMember.invited((await n1.client.invite()).invite);
    for (const d of honest) await mallory.connect((await d.client.status()).addresses[0] ?? '');
    await waitFor(
      async () => (await n1.client.peers()).some((p) => p.peerId === mallory.peerId && p.online),
      10_000,
      'Mallory to be connected',
    );
  });
  after(async () => {
    await mallory?.stop();
    await group?.stop();
  });

  const ask = (title: string) =>
    n1.client.createQuestion({ title, options: ['The park', 'The café'], allowOther: false });
  const rejected = async () =>
    (await Promise.all(honest.map(async (d) => (await d.client.status()).rejectedMessages))).reduce(
      (a, b) => a + b,
    );
  const toEveryone = (message: Parameters<HostileMember['send']>[1]) => {
    for (const id of ids) mallory.send(id, message);
  };
  /** Certificates in the honest acceptors' names, signed by Mallory. */
  const forgedCertificate = (decision: string, value: string, ballot: Ballot): Certificate => ({
    ballot,
    accepted: ids.map((acceptor) => ({
      acceptor,
      signature: mallory.signing.sign({ kind: 'accepted', decision, ballot, value }),
    })),
    promises: [],
  });

  it('a Decided for a value nobody proposed, credited to Bob, or with no proposal at all, is not adopted', async () => {
    const q = await ask('Where do we meet?');
    const midnight = encodeProposal({
      option: 'Midnight',
      by: bob,
      signature: mallory.signing.sign({ kind: 'proposal', decision: q.id, option: 'Midnight', by: bob }),
    });
    const ballot = { round: 1, node: mallory.peerId };
    const before = await rejected();
    toEveryone({
      type: 'paxos',
      message: {
        kind: 'decided',
        decision: q.id,
        value: midnight,
        certificate: forgedCertificate(q.id, midnight, ballot),
      },
    });
    toEveryone({
      type: 'paxos',
      message: {
        kind: 'decided',
        decision: q.id,
        value: 'garbage',
        certificate: forgedCertificate(q.id, 'garbage', ballot),
      },
    });
    // Her own proposal, honestly signed, but accepted by nobody but herself.
    const own = mallory.checks.propose(await definitionOf(q.id), 'The café', mallory.peerId);
    toEveryone({
      type: 'paxos',
      message: {
        kind: 'decided',
        decision: q.id,
        value: own,
        certificate: {
          ballot,
          accepted: [
            {
              acceptor: mallory.peerId,
              signature: mallory.signing.sign({ kind: 'accepted', decision: q.id, ballot, value: own }),
            },
          ],
          promises: [],
        },
      },
    });
    await waitFor(async () => (await rejected()) - before >= 6, 10_000, 'the forged outcomes to be rejected');
    for (const d of honest)
      assert.equal((await question(d.client, q.id))?.outcome, null, `${d.name} adopted nothing`);
    // The question is not stuck: an honest proposal decides it, and the outcome carries its proof.
    await n2.client.propose({ questionId: q.id, option: 'The park' });
    for (const d of honest) assert.equal(await decidedOption(d.client, q.id), 'The park');
    const outcome = (await question(n3.client, q.id))?.outcome;
    assert.equal(outcome?.proposedBy, bob);
    assert.ok(
      (outcome?.certificate?.acceptedBy.length ?? 0) >= 3,
      'accepted by a majority of the 4 acceptors',
    );
  });

  it('a question "asked by Alice" with Mallory as its only acceptor, already decided, and one dated next year, are refused by everyone', async () => {
    const base = {
      title: 'Who wins the auction?',
      options: ['Mallory'],
      allowOther: false,
      createdAt: Date.now(),
      learners: [],
      rule: 'quick' as const,
      deadline: null,
      // The group's epoch, as an honest asker names it: what is refused is the forgery, not its age.
      epoch: (await n1.client.group()).epoch ?? 0,
    };
    const forged: QuestionDefinition = {
      ...base,
      id: randomBytes(16).toString('hex'),
      createdBy: alice,
      acceptors: [mallory.peerId],
      signature: '',
    };
    const signedByMallory = mallory.checks.signDefinition({ ...withoutSignature(forged) });
    const ballot = { round: 1, node: mallory.peerId };
    const value = mallory.checks.propose(signedByMallory, 'Mallory', mallory.peerId);
    const outcome = {
      value,
      certificate: {
        ballot,
        accepted: [
          {
            acceptor: mallory.peerId,
            signature: mallory.signing.sign({ kind: 'accepted', decision: forged.id, ballot, value }),
          },
        ],
        promises: [],
      },
    };
    const future = mallory.checks.signDefinition({
      ...base,
      id: randomBytes(16).toString('hex'),
      createdBy: mallory.peerId,
      createdAt: Date.now() + 365 * 24 * 3_600_000,
      acceptors: ids,
    });
    const before = await rejected();
    toEveryone({ type: 'question', question: signedByMallory, outcome });
    toEveryone({ type: 'question', question: future, outcome: null });
    await waitFor(
      async () => (await rejected()) - before >= 6,
      10_000,
      'the forged questions to be rejected',
    );
    for (const d of honest) {
      const known = (await d.client.questions()).map((q) => q.id);
      assert.ok(!known.includes(forged.id) && !known.includes(future.id), `${d.name} took a forged question`);
    }
  });

  it('a Promise that reports an invented accepted value does not make Paxos decide it', async () => {
    const q = await ask('Which day?');
    assert.ok((await question(n1.client, q.id))?.acceptors.some((a) => a.peerId === mallory.peerId));
    mallory.answer((from, message) => {
      if (message.type !== 'paxos' || message.message.decision !== q.id) return;
      const m = message.message;
      if (m.kind !== 'prepare') return;
      // "I accepted Midnight (proposed by Bob) just below your ballot": Bob never proposed it.
      const accepted = {
        ballot: { round: m.ballot.round, node: '1' },
        value: encodeProposal({
          option: 'Midnight',
          by: bob,
          signature: mallory.signing.sign({ kind: 'proposal', decision: q.id, option: 'Midnight', by: bob }),
        }),
      };
      const statement = { kind: 'promise', decision: q.id, ballot: m.ballot, accepted } as const;
      mallory.send(from, {
        type: 'paxos',
        message: { ...statement, signature: mallory.signing.sign(statement) },
      });
    });
    try {
      await n1.client.propose({ questionId: q.id, option: 'The café' });
      for (const d of honest) assert.equal(await decidedOption(d.client, q.id), 'The café');
    } finally {
      mallory.answer(() => undefined);
    }
  });

  it('a Prepare at round 2^53 − 1 does not freeze a question', async () => {
    const q = await ask('Which room?');
    const ballot = { round: Number.MAX_SAFE_INTEGER, node: mallory.peerId };
    toEveryone({ type: 'paxos', message: { kind: 'prepare', decision: q.id, ballot } });
    const value = mallory.checks.propose(await definitionOf(q.id), 'The park', mallory.peerId);
    toEveryone({ type: 'paxos', message: { kind: 'accept', decision: q.id, ballot, value, promises: [] } });
    await sleep(500);
    await n3.client.propose({ questionId: q.id, option: 'The café' });
    for (const d of honest) assert.equal(await decidedOption(d.client, q.id), 'The café');
  });

  it('a member cannot skip phase 1: acceptors that do not know the outcome yet accept no second value', async () => {
    const q = await ask('Where to meet?');
    const definition = await definitionOf(q.id);
    const park = mallory.checks.propose(definition, 'The park', mallory.peerId);
    const cafe = mallory.checks.propose(definition, 'The café', mallory.peerId);
    const { honestReplies, phase1, accept } = mallorysPaxos(q.id);
    try {
      // Without phase 1 (no promises): refused by every acceptor, nothing accepted.
      toEveryone(accept(5, park, []));
      // Nor through round 0, which needs no phase 1 but belongs to the asker: neither in Mallory's
      // name nor in the asker's (the sender of a message is the one its connection proves).
      for (const node of [mallory.peerId, definition.createdBy]) toEveryone(accept(0, park, [], node));
      await sleep(500);
      assert.equal(honestReplies('accepted', 5).length, 0);
      assert.equal(honestReplies('accepted', 0).length, 0);

      // With phase 1, The park is chosen by the three honest acceptors, and nobody is told.
      const first = await phase1(6);
      toEveryone(accept(6, park, first));
      await waitFor(async () => honestReplies('accepted', 6).length === 3, 10_000, 'The park accepted');

      // A second value at a higher ballot: its promises report The park, so it is refused, whether
      // Mallory shows them all or only those that suit her (a majority always includes one of them).
      const second = await phase1(7);
      assert.ok(
        second.every((p) => p.accepted?.value === park),
        'the promises report The park',
      );
      toEveryone(accept(7, cafe, second));
      toEveryone(accept(7, cafe, second.slice(0, 1)));
      await sleep(500);
      assert.equal(honestReplies('accepted', 7).length, 0, 'no acceptor accepted a second value');

      // An honest proposal now finds The park and finishes it: one outcome, everywhere.
      await n2.client.propose({ questionId: q.id, option: 'The café' });
      for (const d of honest) assert.equal(await decidedOption(d.client, q.id), 'The park');
      for (const d of honest) assert.equal((await question(d.client, q.id))?.safetyViolation, null);
    } finally {
      mallory.answer(() => undefined);
    }
  });

  it('a member that sends two values at one ballot cannot get the second chosen at the next', async () => {
    const q = await ask('Lunch where?');
    const definition = await definitionOf(q.id);
    const park = mallory.checks.propose(definition, 'The park', mallory.peerId);
    const cafe = mallory.checks.propose(definition, 'The café', mallory.peerId);
    const { honestReplies, phase1, accept } = mallorysPaxos(q.id);
    const [toAlice, toBob, toCarol] = ids as [string, string, string];
    try {
      // Round 3: The park to Alice, The café to Bob and Carol (with Mallory's own vote, three of the
      // four acceptors hold The café: it may be chosen). Nobody is told.
      const first = await phase1(3);
      mallory.send(toAlice, accept(3, park, first));
      mallory.send(toBob, accept(3, cafe, first));
      mallory.send(toCarol, accept(3, cafe, first));
      await waitFor(async () => honestReplies('accepted', 3).length === 3, 10_000, 'round 3 accepted');

      // Round 4: Alice reports The park at round 3, Bob and Carol The café. The park could not have been
      // chosen there (Alice and Mallory are two of four); The café could: it is the only value allowed.
      // Alice's promise first: taking the first value reported at the highest ballot would take The park.
      const second = await phase1(4);
      const alicesFirst = [...second].sort(
        (x, y) => Number(y.acceptor === toAlice) - Number(x.acceptor === toAlice),
      );
      toEveryone(accept(4, park, alicesFirst));
      await sleep(500);
      assert.equal(honestReplies('accepted', 4).length, 0, 'no acceptor accepted The park at round 4');

      // An honest proposal, with Mallory silent, finds The café and finishes it: one outcome, everywhere.
      await n2.client.propose({ questionId: q.id, option: 'The park' });
      for (const d of honest) assert.equal(await decidedOption(d.client, q.id), 'The café');
      for (const d of honest) assert.equal((await question(d.client, q.id))?.safetyViolation, null);
    } finally {
      mallory.answer(() => undefined);
    }
  });

  it('nothing forged survives a restart: every outcome kept is the honest one, with its certificate', async () => {
    const beforeRestart = await n2.client.questions();
    await n2.stop();
    await n2.start();
    const afterRestart = await n2.client.questions();
    assert.deepEqual(
      afterRestart.map((q) => [q.id, q.outcome?.option ?? null]),
      beforeRestart.map((q) => [q.id, q.outcome?.option ?? null]),
    );
    assert.ok(afterRestart.every((q) => q.outcome === null || q.outcome.certificate !== null));
    assert.ok(afterRestart.every((q) => q.safetyViolation === null));
  });

  /** Mallory's view of her Paxos messages on one question: the honest replies, and her phase 1. */
  function mallorysPaxos(questionId: string) {
    const replies: { from: string; message: PaxosMessage }[] = [];
    mallory.answer((from, message) => {
      if (message.type === 'paxos' && message.message.decision === questionId)
        replies.push({ from, message: message.message });
    });
    const honestReplies = (kind: PaxosMessage['kind'], round: number) =>
      replies.filter(
        (r) => r.message.kind === kind && 'ballot' in r.message && r.message.ballot.round === round,
      );
    const phase1 = async (round: number): Promise<PromiseEvidence[]> => {
      const ballot = { round, node: mallory.peerId };
      toEveryone({ type: 'paxos', message: { kind: 'prepare', decision: questionId, ballot } });
      await waitFor(
        async () => honestReplies('promise', round).length === 3,
        10_000,
        `promises for round ${round}`,
      );
      return honestReplies('promise', round).flatMap(({ from, message }) =>
        message.kind === 'promise'
          ? [{ acceptor: from, accepted: message.accepted, signature: message.signature }]
          : [],
      );
    };
    /** An Accept of `value` at Mallory's ballot `round`, with the promises she chooses to show. */
    const accept = (round: number, value: string, promises: PromiseEvidence[], node = mallory.peerId) => ({
      type: 'paxos' as const,
      message: { kind: 'accept' as const, decision: questionId, ballot: { round, node }, value, promises },
    });
    return { honestReplies, phase1, accept };
  }

  async function definitionOf(id: string): Promise<QuestionDefinition> {
    const view = await question(n1.client, id);
    assert.ok(view);
    // What Mallory knows of the question: it was announced to her like to every member.
    const announced = mallory.received.find(
      (r) => r.message.type === 'question' && r.message.question.id === id,
    );
    assert.ok(announced && announced.message.type === 'question');
    return announced.message.question;
  }
});

function withoutSignature(q: QuestionDefinition): Omit<QuestionDefinition, 'signature'> {
  const copy: Partial<QuestionDefinition> = { ...q };
  delete copy.signature;
  return copy as Omit<QuestionDefinition, 'signature'>;
}
