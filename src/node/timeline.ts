import type { TimelineEntry } from '../api/types.ts';
import { decodeProposal } from '../model/question.ts';
import type { PaxosMessage } from '../paxos/index.ts';

const MAX_ENTRIES_PER_QUESTION = 500;

/** The Paxos messages this node saw, per question, kept in memory for the UI's timeline picture. */
export class Timelines {
  readonly #entries = new Map<string, TimelineEntry[]>();

  record(direction: 'sent' | 'received', peer: string, message: PaxosMessage, at = Date.now()): void {
    const list = this.#entries.get(message.decision) ?? [];
    this.#entries.set(message.decision, list);
    if (list.length >= MAX_ENTRIES_PER_QUESTION) list.shift();
    list.push({
      at,
      direction,
      peer,
      kind: message.kind,
      ballot: 'ballot' in message ? message.ballot : null,
      option: optionOf(message),
      promised: message.kind === 'nack' ? message.promised : null,
    });
  }

  of(question: string): TimelineEntry[] {
    return [...(this.#entries.get(question) ?? [])];
  }
}

function optionOf(message: PaxosMessage): string | null {
  const value =
    message.kind === 'accept' || message.kind === 'accepted' || message.kind === 'decided'
      ? message.value
      : message.kind === 'promise'
        ? (message.accepted?.value ?? null)
        : null;
  return value === null ? null : (decodeProposal(value)?.option ?? null);
}
