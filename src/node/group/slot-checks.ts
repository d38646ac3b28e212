import { decodeSlotValue, type SlotValue } from '../../model/group/changes.ts';
import { changeProblem, slotConfig, slotDecision, type Epoch } from '../../model/group/epoch.ts';
import { certificateProblem, quorumSize, type Certificate } from '../../paxos/index.ts';
import type { Signing } from '../identity/signing.ts';
import { groupVerifier } from './group-signing.ts';

/** A slot of the group log as learned: the chosen value (as Paxos carried it) and its certificate. */
export interface CertifiedSlot {
  readonly value: string;
  readonly certificate: Certificate;
}

/**
 * Why `slot` is not the chosen value of `epoch`'s open slot, or null when it is: a valid change of that
 * epoch, with the signed Accepteds of a strict majority of that epoch's log acceptors for one ballot
 * and this value (and, when it carries them, their signed Promises for that ballot). A member that was
 * away learns the log this way from anyone: nobody can hand it a change the group did not choose, nor
 * one certified by the acceptors of another epoch. Reads no clock: a learner takes what was chosen.
 */
export function certifiedSlotProblem(
  epoch: Epoch,
  slot: CertifiedSlot,
  signing: Signing,
): { value: SlotValue; problem: null } | { value: null; problem: string } {
  const value = decodeSlotValue(slot.value);
  if (value === null) return { value: null, problem: 'a slot whose value is not a change of the group' };
  const change = changeProblem(epoch, value, groupVerifier(signing));
  if (change !== null) return { value: null, problem: change };
  const config = slotConfig(epoch);
  const shape = certificateProblem(config, slot.certificate, quorumSize(config));
  if (shape !== null) return { value: null, problem: shape };
  const decision = slotDecision(epoch.n);
  const { ballot } = slot.certificate;
  for (const { acceptor, signature } of slot.certificate.accepted) {
    if (!signing.verify(acceptor, { kind: 'accepted', decision, ballot, value: slot.value }, signature))
      return { value: null, problem: `a slot certificate with a signature that is not ${acceptor}'s` };
  }
  for (const { acceptor, accepted, signature } of slot.certificate.promises) {
    if (!signing.verify(acceptor, { kind: 'promise', decision, ballot, accepted }, signature))
      return { value: null, problem: `a slot certificate with a promise that is not ${acceptor}'s` };
  }
  return { value, problem: null };
}
