import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupChange } from '../../src/model/group/changes.ts';
import type { GroupDesk } from '../../src/node/group/group-desk.ts';
import { approve, signChange } from '../../src/node/group/group-signing.ts';
import { Removals, type RemovalRequest } from '../../src/node/group/removals.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { admit, newGroup, person, type Person } from '../helpers/group-writer.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';

/** A group of four (Alice, Bob, Carol, Dave), and Alice's removals, whose proposals the test sees. */
async function setting(size = 4, save?: (requests: readonly RemovalRequest[]) => Promise<void>) {
  const { alice, store, writer, signing } = await newGroup(new MemoryFs());
  const [bob, carol, dave, mallory] = [await person(), await person(), await person(), await person()];
  for (const p of [bob, carol, dave].slice(0, size - 1)) await admit(writer, store, alice, p);
  const proposed: GroupChange[] = [];
  const removals = new Removals({
    self: alice.id,
    signing,
    store,
    desk: {
      propose: async (change: GroupChange) => {
        proposed.push(change);
        return store.head;
      },
    } as unknown as GroupDesk,
    log: silentLogger,
    send: () => undefined,
    members: () => [],
    ...(save === undefined ? {} : { save }),
  });
  const signingOf = (p: Person) => new Signing(store.head.groupId, p.key);
  const approval = (p: Person, request: RemovalRequest) =>
    approve(signingOf(p), { ...request, approvals: [] }, p.id);
  const request = (by: Person, target: Person): RemovalRequest =>
    signChange(signingOf(by), {
      type: 'remove',
      by: by.id,
      epoch: store.head.n,
      target: target.id,
      approvals: [],
    });
  return { alice, bob, carol, dave, mallory, removals, proposed, approval, request };
}

describe('removals by the group’s consent, as a member gathers them', () => {
  it('are proposed only once a strict majority of the other members approve; lies add nothing', async () => {
    const { bob, carol, dave, mallory, removals, proposed, approval } = await setting();
    const asked = await removals.request(dave.id);
    assert.equal(proposed.length, 0, 'Alice alone: 1 of the 3 others');
    // Approvals that count for nothing: Dave's own, one by someone who is no member, a forged one.
    await removals.heard(bob.id, { ...asked, approvals: [approval(dave, asked)] });
    await removals.heard(bob.id, { ...asked, approvals: [approval(mallory, asked)] });
    await removals.heard(bob.id, { ...asked, approvals: [{ ...approval(carol, asked), by: bob.id }] });
    // And from someone who is no member, a genuine approval is not taken either.
    await removals.heard(mallory.id, { ...asked, approvals: [approval(bob, asked)] });
    assert.equal(proposed.length, 0);
    assert.deepEqual(removals.pending()[0]?.request.approvals, []);
    assert.equal(removals.pending()[0]?.needed, 2);
    assert.equal(removals.approvedAgainst(dave.id), false, 'the group has not agreed yet');
    // Bob approves: 2 of 3.
    await removals.heard(bob.id, { ...asked, approvals: [approval(bob, asked)] });
    assert.equal(proposed.length, 1);
    assert.equal(removals.approvedAgainst(dave.id), true, 'now it has');
    assert.equal(removals.approvedAgainst(bob.id), false);
    const made = proposed.at(0);
    assert.ok(made !== undefined && made.type === 'remove');
    assert.equal(made.target, dave.id);
    assert.deepEqual(
      made.approvals.map((a) => a.by),
      [bob.id],
    );
  });

  it('a request that is not its requester’s is dropped; the target cannot approve its own removal here', async () => {
    const { bob, carol, dave, removals, request } = await setting();
    const forged = { ...request(bob, carol), by: dave.id };
    await removals.heard(dave.id, forged);
    assert.deepEqual(removals.pending(), []);
    await removals.heard(bob.id, request(bob, carol));
    assert.equal(removals.pending().length, 1);
    await assert.rejects(removals.approve(dave.id), /nobody has asked/);
  });

  it('exactly half of the other members is not a majority (a group of three: the requester alone is half)', async () => {
    const { bob, carol, removals, proposed, approval } = await setting(3);
    const asked = await removals.request(carol.id);
    assert.equal(proposed.length, 0, '1 of the 2 others');
    assert.equal(removals.approvedAgainst(carol.id), false, 'half is not agreement');
    await removals.heard(bob.id, { ...asked, approvals: [approval(bob, asked)] });
    assert.equal(proposed.length, 1, '2 of 2');
    assert.equal(removals.approvedAgainst(carol.id), true);
  });

  it('nothing is shown, passed on or proposed before it is on disk', async () => {
    let written: () => void = () => undefined;
    const saves: number[] = [];
    const { bob, carol, removals, proposed, approval } = await setting(3, (requests) => {
      saves.push(requests.length);
      return new Promise((resolve) => (written = resolve));
    });
    const asking = removals.request(carol.id);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(removals.pending(), [], 'not shown while it is being written');
    written();
    const asked = await asking;
    assert.equal(removals.pending().length, 1);
    const hearing = removals.heard(bob.id, { ...asked, approvals: [approval(bob, asked)] });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(proposed.length, 0, 'not proposed while the approval is being written');
    assert.deepEqual(removals.pending()[0]?.request.approvals, [], 'nor shown');
    written();
    await hearing;
    assert.equal(proposed.length, 1);
    assert.equal(removals.pending()[0]?.request.approvals.length, 1);
    assert.deepEqual(saves, [1, 1]);
  });
});
