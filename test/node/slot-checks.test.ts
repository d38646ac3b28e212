import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeSlotValue, type SlotValue } from '../../src/model/group/changes.ts';
import { MAX_CHANGE_AHEAD_MS, slotDecision } from '../../src/model/group/epoch.ts';
import { slotMessageProblem } from '../../src/node/group/slot-checks.ts';
import { isForgery } from '../../src/node/identity/signing.ts';
import type { PaxosMessage, PromiseEvidence } from '../../src/paxos/index.ts';
import { admit, newGroup, person, type Person, type Writer } from '../helpers/group-writer.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';

/** A group of three (Alice, Bob, Carol) at its head, and a rename of Bob's for its open slot. */
async function setting() {
  const { alice, store, writer, signing } = await newGroup(new MemoryFs());
  const [bob, carol, mallory] = [await person(), await person(), await person()];
  await admit(writer, store, alice, bob);
  await admit(writer, store, alice, carol);
  const epoch = store.head;
  const rename = (by: Person = bob, atOffset = 0): SlotValue => {
    const value = writer.value(by, { type: 'rename', by: by.id, epoch: epoch.n, name: 'Renamed' });
    return { ...value, at: value.at + atOffset };
  };
  return { alice, bob, carol, mallory, epoch, writer, signing, rename, now: () => writer.at };
}

/** Signed Promises of `promisers` for `ballot` of the slot, each reporting nothing accepted. */
function promisesOf(
  writer: Writer,
  slot: number,
  ballot: { round: number; node: string },
  promisers: Person[],
) {
  const decision = slotDecision(slot);
  return promisers.map((p): PromiseEvidence => ({
    acceptor: p.id,
    accepted: null,
    signature: writer.signingOf(p).sign({ kind: 'promise', decision, ballot, accepted: null }),
  }));
}

describe("the group log's Paxos messages where they enter the node", () => {
  it('an Accept of a valid change, its phase 1 signed, is taken; each lie in it is refused', async () => {
    const s = await setting();
    const ballot = { round: 1, node: s.bob.id };
    const decision = slotDecision(s.epoch.n);
    const accept = (value: string, promises = promisesOf(s.writer, s.epoch.n, ballot, [s.bob, s.carol])) =>
      ({ kind: 'accept', decision, ballot, value, promises }) as PaxosMessage;
    const check = (message: PaxosMessage, now = s.now()) =>
      slotMessageProblem(s.epoch, s.bob.id, message, s.signing, now);
    assert.equal(check(accept(encodeSlotValue(s.rename()))), null, 'the control is taken');
    // Dated ahead of this acceptor's clock: up to the allowance, and not a millisecond more.
    const ahead = s.rename(s.bob, MAX_CHANGE_AHEAD_MS);
    assert.equal(check(accept(encodeSlotValue(ahead)), ahead.at - MAX_CHANGE_AHEAD_MS), null);
    assert.match(check(accept(encodeSlotValue(ahead)), ahead.at - MAX_CHANGE_AHEAD_MS - 1) ?? '', /ahead/);
    // A Promise signed for another ballot.
    const other = promisesOf(s.writer, s.epoch.n, { round: 2, node: s.bob.id }, [s.carol]);
    const forgedPromise = check(accept(encodeSlotValue(s.rename()), [...other]));
    assert.ok(forgedPromise !== null && isForgery(forgedPromise), String(forgedPromise));
    // A change by someone who is not a member, and a value for the next slot.
    assert.match(check(accept(encodeSlotValue(s.rename(s.mallory)))) ?? '', /not a member/);
    assert.match(check(accept(encodeSlotValue({ ...s.rename(), slot: s.epoch.n + 1 }))) ?? '', /slot/);
    assert.match(check(accept('group1:{}')) ?? '', /not a change/);
    // A message about a slot that is not open here.
    const later = { kind: 'prepare', decision: slotDecision(s.epoch.n + 1), ballot } as PaxosMessage;
    assert.match(check(later) ?? '', /slot 5 where slot 4 is open/);
    assert.match(
      check({ kind: 'prepare', decision: 'q1', ballot } as PaxosMessage) ?? '',
      /not about the group log/,
    );
  });

  it('a Promise and an Accepted count only signed by their sender; an outcome only with its certificate', async () => {
    const s = await setting();
    const ballot = { round: 1, node: s.alice.id };
    const decision = slotDecision(s.epoch.n);
    const value = encodeSlotValue(s.rename());
    const [carolsPromise] = promisesOf(s.writer, s.epoch.n, ballot, [s.carol]);
    assert.ok(carolsPromise !== undefined);
    const promise = {
      kind: 'promise',
      decision,
      ballot,
      accepted: null,
      signature: carolsPromise.signature,
    } as PaxosMessage;
    assert.equal(slotMessageProblem(s.epoch, s.carol.id, promise, s.signing, s.now()), null);
    const fromBob = slotMessageProblem(s.epoch, s.bob.id, promise, s.signing, s.now());
    assert.ok(fromBob !== null && isForgery(fromBob), 'Carol’s Promise sent as Bob’s');
    const signature = s.writer.signingOf(s.carol).sign({ kind: 'accepted', decision, ballot, value });
    const accepted = { kind: 'accepted', decision, ballot, value, signature } as PaxosMessage;
    assert.equal(slotMessageProblem(s.epoch, s.carol.id, accepted, s.signing, s.now()), null);
    assert.ok(isForgery(slotMessageProblem(s.epoch, s.alice.id, accepted, s.signing, s.now()) ?? ''));
    const certified = s.writer.certify(s.rename(), [s.alice, s.carol]);
    const decided = (certificate = certified.certificate) =>
      ({ kind: 'decided', decision, value: certified.value, certificate }) as PaxosMessage;
    assert.equal(slotMessageProblem(s.epoch, s.bob.id, decided(), s.signing, s.now()), null);
    const thin = { ...certified.certificate, accepted: certified.certificate.accepted.slice(0, 1) };
    assert.match(slotMessageProblem(s.epoch, s.bob.id, decided(thin), s.signing, s.now()) ?? '', /needed/);
  });
});
