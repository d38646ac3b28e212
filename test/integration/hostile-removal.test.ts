import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GroupView } from '../../src/api/types.ts';
import { approvalStatement, encodeSlotValue, type GroupChange } from '../../src/model/group/changes.ts';
import { slotDecision } from '../../src/model/group/epoch.ts';
import { signChange } from '../../src/node/group/group-signing.ts';
import { DaemonGroup, question, sleep, waitFor, type DaemonProcess } from '../helpers/daemons.ts';
import { HostileMember } from '../helpers/hostile-member.ts';

/**
 * Mallory, a member who joined with an invite, against three honest members, on removals: alone she
 * removes nobody, whatever she forges or sends straight into the group log; and when the others
 * agree to remove her, she cannot stop it, though she duels every ballot of the log she hears of.
 */
describe('a member who lies about removals', { timeout: 180_000 }, () => {
  let group: DaemonGroup;
  let honest: DaemonProcess[];
  let mallory: HostileMember;
  let ids: string[];

  const groupOf = (d: DaemonProcess): Promise<GroupView> => d.client.group();
  const isMemberEverywhere = async (peer: string) =>
    (await Promise.all(honest.map(groupOf))).every((g) => g.members.some((m) => m.peerId === peer));
  const rejected = async () =>
    (await Promise.all(honest.map(async (d) => (await d.client.status()).rejectedMessages))).reduce(
      (a, b) => a + b,
    );

  before(async () => {
    group = await DaemonGroup.start(3);
    honest = group.daemons;
    ids = await Promise.all(honest.map(async (d) => (await d.client.status()).peerId));
    const n1 = honest[0] as DaemonProcess;
    mallory = await HostileMember.invited((await n1.client.invite()).invite);
    for (const d of honest) await mallory.connect((await d.client.status()).addresses[0] ?? '');
    await waitFor(() => isMemberEverywhere(mallory.peerId), 20_000, 'the group to let Mallory in');
  });
  after(async () => {
    await mallory?.stop();
    await group?.stop();
  });

  it('alone, she removes nobody: approvals she forged or had made-up identities sign count for nothing, asked or sent straight into the log', async () => {
    const [alice, bob, carol] = ids as [string, string, string];
    const { epoch } = await groupOf(honest[0] as DaemonProcess);
    assert.ok(epoch !== null);
    const unsigned: Omit<Extract<GroupChange, { type: 'remove' }>, 'signature'> = {
      type: 'remove',
      by: mallory.peerId,
      epoch,
      target: alice,
      approvals: [],
    };
    // Bob's and Carol's approvals, signed with her own key, over her very request.
    const request = signChange(mallory.signing, unsigned);
    const forged = signChange(mallory.signing, {
      ...unsigned,
      approvals: [bob, carol].map((by) => ({
        by,
        signature: mallory.signing.sign(approvalStatement(request)),
      })),
    });
    const before = await rejected();
    for (const id of ids) mallory.send(id, { type: 'group-removal', change: forged });
    // The same removal, and a bare one, straight into the open slot: prepared, then accepted.
    const decision = slotDecision(epoch);
    for (const [round, change] of [
      [7, forged],
      [8, request],
    ] as const) {
      const ballot = { round, node: mallory.peerId };
      const value = encodeSlotValue({ slot: epoch, at: Date.now(), change });
      for (const id of ids) {
        mallory.send(id, { type: 'paxos', message: { kind: 'prepare', decision, ballot } });
        mallory.send(id, {
          type: 'paxos',
          message: { kind: 'accept', decision, ballot, value, promises: [] },
        });
      }
    }
    await waitFor(async () => (await rejected()) > before, 10_000, 'her messages to be refused');
    await sleep(3_000);
    for (const d of honest) {
      const view = await groupOf(d);
      assert.ok(
        view.members.some((m) => m.peerId === alice),
        `${d.name}: Alice is still a member`,
      );
      assert.ok(!view.history.some((h) => h.change === 'remove'), `${d.name}: nobody was removed`);
      for (const removal of view.removals)
        assert.deepEqual(removal.approvedBy, [mallory.peerId], `${d.name}: only her own approval counts`);
    }
    // Control: the honest members still make changes at once.
    await honest[1]?.client.renameGroup({ name: 'Still us' });
    await waitFor(
      async () => (await Promise.all(honest.map(groupOf))).every((g) => g.name === 'Still us'),
      10_000,
      'the rename everywhere',
    );
  });

  it('when the others agree, she cannot stop her own removal, though she duels every ballot she hears of; then she counts nowhere', async () => {
    const [alice, bob, carol] = honest as [DaemonProcess, DaemonProcess, DaemonProcess];
    // From now on, each Prepare of the log she receives she answers with a higher one to everyone,
    // never promising or accepting anything herself.
    let duels = 0;
    mallory.answer((_from, message) => {
      if (message.type !== 'paxos' || message.message.kind !== 'prepare') return;
      if (!message.message.decision.startsWith('group:')) return;
      duels++;
      const ballot = { round: message.message.ballot.round + 1, node: mallory.peerId };
      for (const id of ids)
        mallory.send(id, {
          type: 'paxos',
          message: { kind: 'prepare', decision: message.message.decision, ballot },
        });
    });
    const asked = Date.now();
    await bob.client.requestRemoval({ member: mallory.peerId });
    await waitFor(
      async () => (await groupOf(carol)).removals.some((r) => r.target === mallory.peerId),
      10_000,
      'the request to reach Carol',
    );
    await carol.client.approveRemoval({ member: mallory.peerId });
    await waitFor(
      async () =>
        (await Promise.all(honest.map(groupOf))).every(
          (g) => !g.members.some((m) => m.peerId === mallory.peerId),
        ),
      30_000,
      'Mallory to be removed on every honest node',
    );
    console.log(`removed ${Date.now() - asked} ms after Bob asked; she duelled ${duels} prepares`);
    // Hung up on, and told nothing asked afterwards.
    await waitFor(
      () => ids.every((id) => !mallory.isConnected(id)),
      10_000,
      'every member to hang up on her',
    );
    const q = await alice.client.createQuestion({ title: 'After Mallory', options: ['Yes', 'No'] });
    await sleep(2_000);
    assert.ok(
      !mallory.received.some((r) => r.message.type === 'question' && r.message.question.id === q.id),
      'she learns nothing asked after her removal',
    );
    assert.ok(!q.acceptors.some((a) => a.peerId === mallory.peerId));

    // She connects again, as anyone with the key can, and acts on a vote asked after her removal
    // (its id leaked to her): an applicant, told nothing; her vote and her ballots count nowhere.
    const vote = await alice.client.createQuestion({
      title: 'Paint the shed?',
      options: ['Green', 'Red'],
      rule: 'vote',
      deadline: Date.now() + 5 * 60_000,
    });
    for (const d of honest) await mallory.connect((await d.client.status()).addresses[0] ?? '', 'Mallory');
    await sleep(500);
    for (const id of ids) {
      mallory.send(id, {
        type: 'votes',
        votes: [
          mallory.checks.signVote({
            question: vote.id,
            by: mallory.peerId,
            option: 'Red',
            amount: null,
            seq: 1,
          }),
        ],
      });
      mallory.send(id, {
        type: 'paxos',
        message: { kind: 'prepare', decision: vote.id, ballot: { round: 3, node: mallory.peerId } },
      });
    }
    await alice.client.vote({ questionId: vote.id, option: 'Green' });
    await sleep(2_000);
    for (const d of honest) {
      const view = await question(d.client, vote.id);
      assert.equal(view?.tally?.counted, 1, `${d.name} counts Alice's vote alone`);
      assert.ok(!(await groupOf(d)).members.some((m) => m.peerId === mallory.peerId), `${d.name}: still out`);
    }
    assert.ok(
      !mallory.received.some((r) => r.message.type === 'paxos' && r.message.message.decision === vote.id),
      'no acceptor answered her ballot',
    );
    assert.ok(
      !mallory.received.some((r) => r.message.type === 'question' && r.message.question.id === vote.id),
    );
  });
});
