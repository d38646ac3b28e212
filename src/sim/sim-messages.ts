import {
  formatBallot,
  placeholderSigner,
  type Envelope,
  type NodeId,
  type PaxosMessage,
} from '../paxos/index.ts';
import { LIAR } from './scenario.ts';

/* Paxos messages as the simulator's trace shows them, and as its lying acceptor changes them. */

export function describe(message: PaxosMessage): string {
  switch (message.kind) {
    case 'prepare':
      return `prepare ${message.decision} b=${formatBallot(message.ballot)}`;
    case 'promise':
      return `promise ${message.decision} b=${formatBallot(message.ballot)} accepted=${
        message.accepted === null ? '⊥' : `${formatBallot(message.accepted.ballot)}:${message.accepted.value}`
      }`;
    case 'accept':
      return `accept ${message.decision} b=${formatBallot(message.ballot)} v=${message.value}`;
    case 'accepted':
      return `accepted ${message.decision} b=${formatBallot(message.ballot)} v=${message.value}`;
    case 'nack':
      return `nack ${message.decision} b=${formatBallot(message.ballot)} promised=${formatBallot(message.promised)}`;
    case 'decided':
      return `decided ${message.decision} v=${message.value}`;
    case 'query':
      return `query ${message.decision}`;
  }
}

/** The liar's Promise says it accepted nothing, signed like any of its Promises. */
export function lie(from: NodeId, envelope: Envelope): Envelope {
  const { message } = envelope;
  if (from !== LIAR || message.kind !== 'promise' || message.accepted === null) return envelope;
  const statement = {
    kind: 'promise',
    decision: message.decision,
    ballot: message.ballot,
    accepted: null,
  } as const;
  return { ...envelope, message: { ...statement, signature: placeholderSigner(from)(statement) } };
}
