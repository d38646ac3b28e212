import type { QuestionView } from '../../src/api/types.ts';

/*
 * What this person has seen of each group's questions, kept in this browser (or app window) only:
 * a question is new to them until they have seen it, and again once it is decided.
 */

const MAX_MARKS = 2_000;

function key(peerId: string, groupId: string): string {
  return `synod-seen-${peerId}-${groupId}`;
}

function mark(question: QuestionView): string {
  return `${question.id}:${question.state === 'decided' ? 'decided' : 'open'}`;
}

function load(peerId: string, groupId: string): Set<string> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(key(peerId, groupId)) ?? '[]');
    return new Set(Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === 'string') : []);
  } catch {
    return new Set();
  }
}

/** Notes every question of the group as seen in its present state. */
export function markSeen(peerId: string, groupId: string, questions: readonly QuestionView[]): void {
  const seen = load(peerId, groupId);
  const before = seen.size;
  for (const question of questions) seen.add(mark(question));
  if (seen.size === before) return;
  localStorage.setItem(key(peerId, groupId), JSON.stringify([...seen].slice(-MAX_MARKS)));
}

/** How many of the group's questions are new to this person, or decided since they last looked. */
export function unreadCount(peerId: string, groupId: string, questions: readonly QuestionView[]): number {
  const seen = load(peerId, groupId);
  return questions.filter((question) => !seen.has(mark(question))).length;
}
