import type { TimelineEntry } from '../api/types.ts';
import { decodeProposal } from '../model/question.ts';
import type { PaxosMessage } from '../paxos/index.ts';

const MAX_ENTRIES_PER_QUESTION = 500;
/**
 * Questions whose messages are kept: the most recently active. A timeline is for watching a question
 * being decided; keeping one for every question of a long history would make memory grow with it.
 */
export const MAX_TIMELINES = 256;

/** An entry as recorded: the value stays as it came, decoded into an option only when shown. */
type RecordedEntry = Omit<TimelineEntry, 'option'> & { readonly value: string | null };

/** The Paxos messages this node saw, per question, kept in memory for the UI's timeline picture. */
export class Timelines {
  readonly #entries = new Map<string, RecordedEntry[]>();

  record(direction: 'sent' | 'received', peer: string, message: PaxosMessage, at = Date.now()): void {
    let list = this.#entries.get(message.decision);
    if (list === undefined) {
      if (this.#entries.size >= MAX_TIMELINES) {
        const oldest = this.#entries.keys().next();
        if (oldest.done !== true) this.#entries.delete(oldest.value);
      }
      list = [];
    } else {
      // Most recently active last: the first in the map is the one to forget.
      this.#entries.delete(message.decision);
    }
    this.#entries.set(message.decision, list);
    if (list.length >= MAX_ENTRIES_PER_QUESTION) list.shift();
    list.push({
      at,
      direction,
      peer,
      kind: message.kind,
      ballot: 'ballot' in message ? message.ballot : null,
      value: valueOf(message),
      promised: message.kind === 'nack' ? message.promised : null,
    });
  }

  of(question: string): TimelineEntry[] {
    return (this.#entries.get(question) ?? []).map(({ value, ...entry }) => ({
      ...entry,
      option: value === null ? null : (decodeProposal(value)?.option ?? null),
    }));
  }
}

function valueOf(message: PaxosMessage): string | null {
  return message.kind === 'accept' || message.kind === 'accepted' || message.kind === 'decided'
    ? message.value
    : message.kind === 'promise'
      ? (message.accepted?.value ?? null)
      : null;
}
