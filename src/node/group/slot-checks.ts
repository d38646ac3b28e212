import { decodeSlotValue, type SlotValue } from '../../model/group/changes.ts';
import {
  changeProblem,
  slotConfig,
  slotDecision,
  slotOf,
  timelyProblem,
  type Epoch,
} from '../../model/group/epoch.ts';
import { certificateProblem, quorumSize, type Certificate, type PaxosMessage } from '../../paxos/index.ts';
import { forged, type Signing } from '../identity/signing.ts';
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

/**
 * Why a Paxos message of the group log's open slot must be dropped where it enters the node, or null
 * when it holds; `epoch` is this member's head, whose slot is the open one. What the pure core takes on
 * trust is checked here: that an Accept's value is a change the epoch allows, dated no further ahead
 * of this acceptor's clock than MAX_CHANGE_AHEAD_MS (an invite's expiry is judged at the change's date,
 * so a member must not date one far ahead), with its phase 1's Promises signed by their acceptors for
 * that ballot; that a Promise and an Accepted are signed by their sender; that an
 * outcome carries its certificate. A message of another slot is not this epoch's to judge: a slot
 * behind is answered from the log, one ahead waits until this member has caught up.
 */
export function slotMessageProblem(
  epoch: Epoch,
  from: string,
  message: PaxosMessage,
  signing: Signing,
  now: number,
): string | null {
  const slot = slotOf(message.decision);
  if (slot === null) return 'a message that is not about the group log';
  if (slot !== epoch.n) return `a message about slot ${slot} where slot ${epoch.n} is open here`;
  const decision = message.decision;
  const valueProblem = (text: string): string | null => {
    const value = decodeSlotValue(text);
    if (value === null) return 'a value that is not a change of the group';
    return changeProblem(epoch, value, groupVerifier(signing));
  };
  switch (message.kind) {
    case 'prepare':
    case 'nack':
    case 'query':
      return null;
    case 'accept': {
      const value = decodeSlotValue(message.value);
      if (value === null) return 'a value that is not a change of the group';
      const late = timelyProblem(value, now);
      if (late !== null) return late;
      const { ballot } = message;
      for (const { acceptor, accepted, signature } of message.promises) {
        if (!signing.verify(acceptor, { kind: 'promise', decision, ballot, accepted }, signature))
          return forged(`an accept with a promise that is not ${acceptor}'s`);
        if (accepted !== null) {
          const problem = valueProblem(accepted.value);
          if (problem !== null) return `an accept with a promise of an invalid value: ${problem}`;
        }
      }
      return valueProblem(message.value);
    }
    case 'promise': {
      const { ballot, accepted, signature } = message;
      if (!signing.verify(from, { kind: 'promise', decision, ballot, accepted }, signature))
        return forged('a promise without a valid signature of its sender');
      return accepted === null ? null : valueProblem(accepted.value);
    }
    case 'accepted': {
      const { ballot, value, signature } = message;
      if (!signing.verify(from, { kind: 'accepted', decision, ballot, value }, signature))
        return forged('an accepted without a valid signature of its sender');
      return valueProblem(value);
    }
    case 'decided':
      return certifiedSlotProblem(epoch, { value: message.value, certificate: message.certificate }, signing)
        .problem;
  }
}
