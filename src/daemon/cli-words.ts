import {
  SynodError,
  type PeerView,
  type QuestionView,
  type SynodApi,
  type SynodEvent,
} from '../api/types.ts';
import { DECISION_RULES, type DecisionRule } from '../model/question.ts';

/* The CLI's words for questions, members and events, and how it reads a question and a rule. */

/** Whether this laptop's vote or bid on the question is counted (see QuestionView.myVote). */
export function counted(view: QuestionView): boolean {
  return view.myVote !== null && view.myVote.receipts >= view.myVote.needed;
}

/** A question by its id, an id prefix (4 characters or more) or its exact title. */
export async function findQuestion(api: SynodApi, key: string): Promise<QuestionView> {
  const questions = await api.questions();
  const matches = questions.filter(
    (q) => q.id === key || q.title === key || (key.length >= 4 && q.id.startsWith(key)),
  );
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length === 0)
    throw new SynodError('not-found', `no question matches "${key}" (see "synod questions")`);
  throw new SynodError('invalid-input', `"${key}" matches ${matches.length} questions; give more of the id`);
}

export function formatPeer(p: PeerView): string {
  const when = p.online
    ? 'online'
    : p.lastSeen === null
      ? 'never seen'
      : `last seen ${new Date(p.lastSeen).toLocaleString()}`;
  return `${p.name.padEnd(20)} ${when.padEnd(32)} ${p.peerId}\n`;
}

/** `--rule` and `--deadline` of `ask`: a deadline is a duration from now (90s, 10m, 2h, 1d). */
export function ruleOptions(
  rule: string | undefined,
  deadline: string | undefined,
): { rule?: DecisionRule; deadline?: number } {
  if (rule !== undefined && !(DECISION_RULES as readonly string[]).includes(rule))
    throw new Error(`--rule takes ${DECISION_RULES.join(', ')}`);
  if (deadline === undefined) return rule === undefined ? {} : { rule: rule as DecisionRule };
  const match = /^(\d+)(s|m|h|d)$/.exec(deadline);
  if (match === null) throw new Error('--deadline takes a duration such as 90s, 10m, 2h or 1d');
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return {
    rule: (rule ?? 'vote') as DecisionRule,
    deadline: Date.now() + Number(match[1]) * unit,
  };
}

export function formatQuestion(q: QuestionView): string {
  const outcome = q.outcome;
  const state =
    q.state === 'decided' && outcome
      ? outcome.close === null
        ? `DECIDED: ${outcome.option ?? '?'} (proposed by ${outcome.proposedByName})`
        : `DECIDED: ${outcome.option ?? 'nothing was cast'} (closed by ${outcome.proposedByName})` +
          (outcome.close.winningBid === null
            ? ''
            : ` — ${outcome.close.winningBid.member.name} with ${outcome.close.winningBid.amount}`)
      : q.state === 'waiting-for-quorum'
        ? `waiting: ${q.reachableAcceptors} of ${q.acceptors.length} voters online, ${q.quorum} needed`
        : `open: ${q.reachableAcceptors} of ${q.acceptors.length} voters online`;
  const rule =
    q.rule === 'quick'
      ? ''
      : `\n  ${q.rule === 'vote' ? 'vote' : 'auction'}${q.deadline === null ? '' : `, closes ${new Date(q.deadline).toLocaleString()}`}`;
  const tally = q.outcome?.close?.tally ?? q.tally;
  const tallyText =
    tally === null
      ? ''
      : tally.sealed
        ? `\n  ${tally.counted} bid${tally.counted === 1 ? '' : 's'} (amounts shown at the close)`
        : `\n  ${tally.lines.map((l) => `${l.option}: ${l.score}`).join(' | ') || 'nothing cast yet'}`;
  const options = q.options.length > 0 ? `\n  options: ${q.options.join(' | ')}` : '';
  return `${q.id.slice(0, 8)}  ${q.title}\n  ${state}${rule}${tallyText}${options}\n`;
}

export function formatEvent(event: SynodEvent): string {
  switch (event.type) {
    case 'status':
      return `status: ${event.status.group ? `group ${event.status.group.name}` : 'no group'}\n`;
    case 'peers':
      return `peers: ${event.peers.map((p) => `${p.name}${p.online ? '' : ' (offline)'}`).join(', ')}\n`;
    case 'question':
      return `question ${formatQuestion(event.question)}`;
    case 'group': {
      const newest = event.group.history[0];
      return `group: ${event.group.name}, epoch ${event.group.epoch ?? '-'}, ${event.group.members.length} members${newest === undefined ? '' : ` (${newest.summary})`}\n`;
    }
    case 'connection':
      return event.reachable
        ? 'node: answering again\n'
        : `node: not answering (${event.problem ?? 'unknown'})\n`;
    case 'open-invite':
      return ''; // the desktop shell's, never the daemon's
  }
}
