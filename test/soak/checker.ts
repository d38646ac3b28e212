/**
 * The soak's checker: reads a recorded history (history.ts) and says what was violated. Pure, so that
 * its unit tests can hand it histories without running a daemon.
 *
 * A node is held only to what it said: an API answer or an event that reached the soak, or a poll.
 * A question a node never showed can be missing on it without blame (until the convergence check); an
 * answer that never came says nothing. Absence is judged only from a poll sent after the statement's
 * answer arrived (same relay, so the order is exact): an event is one question at one moment, and
 * may reach the soak after a poll that already knew more.
 */
import type { Entry, Shown, ShownOutcome } from './history.ts';

export type ViolationKind =
  /** Two outcomes of one question: on two nodes, or one node over time. */
  | 'outcome-disagreement'
  /** One close, two final tallies (vote sets) or winners. */
  | 'tally-disagreement'
  /** A node holds two certificates for different outcomes and says so. */
  | 'safety-violation-shown'
  /** A node no longer shows a question whose asking it acknowledged (createQuestion answered). */
  | 'forgot-asked-question'
  /** A node no longer shows a question it had shown (learned from another member). */
  | 'forgot-question'
  /** A node shows the question but not the outcome it had shown. */
  | 'forgot-outcome'
  /** A node shows another decision time than it had shown. */
  | 'changed-decided-at'
  /** A node no longer shows its own vote or bid, which it had shown (or shows another). */
  | 'forgot-vote'
  /** Within the window after the final heal, a node still lacks what another node showed. */
  | 'not-converged';

export const VIOLATION_KINDS: readonly ViolationKind[] = [
  'outcome-disagreement',
  'tally-disagreement',
  'safety-violation-shown',
  'forgot-asked-question',
  'forgot-question',
  'forgot-outcome',
  'changed-decided-at',
  'forgot-vote',
  'not-converged',
];

export interface Violation {
  readonly kind: ViolationKind;
  /** The node at fault (the one that un-said, or differs, or lags). */
  readonly node: number;
  readonly question: string;
  /** When it was seen (ms), the first time. */
  readonly at: number;
  readonly detail: string;
  /** How many times the history shows it (each later poll that still lacks it counts). */
  readonly occurrences: number;
}

export interface CheckOptions {
  /** How long after the final heal every node must show everything (ms). */
  readonly convergenceMs: number;
}

/** What one node said about one question, and when (its relay's sequence). */
interface Said {
  readonly firstSeq: number;
  readonly firstAt: number;
  asked: boolean;
  outcome: { readonly value: ShownOutcome; readonly seq: number; readonly at: number } | null;
  vote: { readonly text: string; readonly seq: number; readonly at: number } | null;
}

export function check(history: readonly Entry[], options: CheckOptions): Violation[] {
  const found = new Map<string, { violation: Violation; occurrences: number }>();
  const violate = (kind: ViolationKind, node: number, question: string, at: number, detail: string) => {
    const key = `${kind} ${node} ${question}`;
    const known = found.get(key);
    if (known !== undefined) known.occurrences++;
    else found.set(key, { violation: { kind, node, question, at, detail, occurrences: 1 }, occurrences: 1 });
  };
  const kills = history.filter((e) => e.kind === 'killed');
  const restartedBetween = (node: number, from: number, to: number) =>
    kills.some((k) => k.node === node && k.at > from && k.at < to);

  // ---- agreement: one outcome per question, one final tally per close, everywhere ----------------
  const chosen = new Map<string, { value: ShownOutcome; node: number }>();
  const tallies = new Map<string, { tally: string; node: number }>();
  const agree = (node: number, question: string, outcome: ShownOutcome, at: number) => {
    const first = chosen.get(question);
    if (first === undefined) chosen.set(question, { value: outcome, node });
    else if (first.value.key !== outcome.key)
      violate(
        'outcome-disagreement',
        node,
        question,
        at,
        `node ${node} shows the ${outcome.key}, node ${first.node} showed the ${first.value.key}`,
      );
    if (outcome.tally === null || (first !== undefined && first.value.key !== outcome.key)) return;
    const tally = tallies.get(question);
    if (tally === undefined) tallies.set(question, { tally: outcome.tally, node });
    else if (tally.tally !== outcome.tally)
      violate(
        'tally-disagreement',
        node,
        question,
        at,
        `node ${node} shows "${outcome.tally}", node ${tally.node} showed "${tally.tally}"`,
      );
  };

  // ---- durability: per node, in its relay's order ----------------------------------------------
  const nodes = new Set<number>();
  for (const e of history) if (e.kind !== 'healed') nodes.add(e.node);
  for (const node of nodes) {
    const memory = new Map<string, Said>();
    const own = history
      .filter((e) => e.kind !== 'healed' && e.kind !== 'killed' && e.node === node)
      .sort((a, b) => seqOf(a) - seqOf(b));
    const remember = (question: string, seq: number, at: number): Said => {
      let said = memory.get(question);
      if (said === undefined) {
        said = { firstSeq: seq, firstAt: at, asked: false, outcome: null, vote: null };
        memory.set(question, said);
      }
      return said;
    };
    // A positive statement: it must agree with what this node said before, whatever the order.
    const sayOutcome = (question: string, outcome: ShownOutcome, seq: number, at: number) => {
      const said = remember(question, seq, at);
      agree(node, question, outcome, at);
      if (said.outcome === null) {
        said.outcome = { value: outcome, seq, at };
        return;
      }
      const before = said.outcome.value;
      if (before.key !== outcome.key)
        violate(
          'outcome-disagreement',
          node,
          question,
          at,
          `node ${node} showed the ${before.key}, later the ${outcome.key}`,
        );
      else if (before.decidedAt !== outcome.decidedAt)
        violate(
          'changed-decided-at',
          node,
          question,
          at,
          `decided at ${before.decidedAt} shown at ${said.outcome.at}, later ${outcome.decidedAt}` +
            (restartedBetween(node, said.outcome.at, at) ? ' (after a restart)' : ''),
        );
    };
    const sayQuestion = (q: Shown, seq: number, at: number) => {
      const said = remember(q.id, seq, at);
      if (q.conflict)
        violate('safety-violation-shown', node, q.id, at, `node ${node} holds two certificates`);
      if (q.outcome !== null) sayOutcome(q.id, q.outcome, seq, at);
      if (q.myVote !== null) {
        if (said.vote === null) said.vote = { text: q.myVote, seq, at };
        else if (said.vote.text !== q.myVote)
          violate('forgot-vote', node, q.id, at, `its vote was "${said.vote.text}", later "${q.myVote}"`);
      }
    };
    for (const e of own) {
      switch (e.kind) {
        case 'said':
          sayQuestion(e.shown, e.stamp.seq, e.stamp.at);
          break;
        case 'said-outcome':
          sayOutcome(e.question, e.outcome, e.stamp.seq, e.stamp.at);
          break;
        case 'asked':
          remember(e.question, e.stamp.seq, e.stamp.at).asked = true;
          break;
        case 'poll': {
          const byId = new Map(e.questions.map((q) => [q.id, q]));
          for (const [id, said] of memory) {
            if (said.firstSeq >= e.sent.seq) continue;
            const across = (since: number) =>
              restartedBetween(node, since, e.sent.at) ? ' after a restart' : ' without a restart';
            const q = byId.get(id);
            if (q === undefined) {
              violate(
                said.asked ? 'forgot-asked-question' : 'forgot-question',
                node,
                id,
                e.stamp.at,
                `shown since ${said.firstAt}, missing at ${e.stamp.at}${across(said.firstAt)}` +
                  (e.afterRestart ? ' (the poll of its disk, before it could reach anyone)' : ''),
              );
              continue;
            }
            if (said.outcome !== null && said.outcome.seq < e.sent.seq && q.outcome === null)
              violate(
                'forgot-outcome',
                node,
                id,
                e.stamp.at,
                `the ${said.outcome.value.key} shown at ${said.outcome.at}, none at ${e.stamp.at}${across(said.outcome.at)}`,
              );
            if (said.vote !== null && said.vote.seq < e.sent.seq && q.myVote === null)
              violate(
                'forgot-vote',
                node,
                id,
                e.stamp.at,
                `its vote "${said.vote.text}" shown at ${said.vote.at}, none at ${e.stamp.at}${across(said.vote.at)}`,
              );
          }
          for (const q of e.questions) sayQuestion(q, e.stamp.seq, e.stamp.at);
          break;
        }
      }
    }
  }

  // ---- convergence: within the window after the final heal, everyone shows everything -----------
  const healed = history.find((e) => e.kind === 'healed');
  if (healed !== undefined) {
    const end = healed.at + options.convergenceMs;
    for (const node of nodes) {
      const polls = history.filter(
        (e): e is Extract<Entry, { kind: 'poll' }> =>
          e.kind === 'poll' && e.node === node && e.sent.at >= healed.at && e.stamp.at <= end,
      );
      const last = polls.at(-1);
      if (last === undefined) {
        violate('not-converged', node, '*', end, `node ${node} answered no poll within the window`);
        continue;
      }
      for (const missing of lacking(history, last, chosen))
        violate('not-converged', node, missing.question, last.stamp.at, missing.detail);
    }
  }
  return [...found.values()]
    .map(({ violation, occurrences }) => ({ ...violation, occurrences }))
    .sort((a, b) => a.at - b.at);
}

/**
 * How long after the final heal each node first answered a poll that lacked nothing any node had
 * shown (ms); null for a node that never did.
 */
export function convergedAfter(history: readonly Entry[]): Map<number, number | null> {
  const result = new Map<number, number | null>();
  const healed = history.find((e) => e.kind === 'healed');
  if (healed === undefined) return result;
  const chosen = new Map<string, { value: ShownOutcome; node: number }>();
  for (const e of history) {
    if (e.kind === 'healed') continue;
    result.set(e.node, result.get(e.node) ?? null);
    if (e.kind !== 'poll' || e.sent.at < healed.at || result.get(e.node) !== null) continue;
    if (lacking(history, e, chosen).length === 0) result.set(e.node, e.stamp.at - healed.at);
  }
  return result;
}

/** What `poll` lacks of everything any node showed before it was sent. */
function lacking(
  history: readonly Entry[],
  poll: Extract<Entry, { kind: 'poll' }>,
  chosen: ReadonlyMap<string, { value: ShownOutcome; node: number }>,
): { question: string; detail: string }[] {
  const shownBefore = new Map<string, { node: number; outcome: boolean; rule: string }>();
  const note = (node: number, question: string, rule: string | null, outcome: boolean) => {
    const known = shownBefore.get(question);
    shownBefore.set(question, {
      node: known?.node ?? node,
      outcome: (known?.outcome ?? false) || outcome,
      rule: rule ?? known?.rule ?? 'quick',
    });
  };
  for (const e of history) {
    if (e.kind === 'said' && e.stamp.at < poll.sent.at)
      note(e.node, e.shown.id, e.shown.rule, e.shown.outcome !== null);
    if (e.kind === 'said-outcome' && e.stamp.at < poll.sent.at) note(e.node, e.question, null, true);
    if (e.kind === 'poll' && e.stamp.at < poll.sent.at)
      for (const q of e.questions) note(e.node, q.id, q.rule, q.outcome !== null);
  }
  const byId = new Map(poll.questions.map((q) => [q.id, q]));
  const where = `node ${poll.node} at ${poll.stamp.at}`;
  const missing: { question: string; detail: string }[] = [];
  for (const [id, seen] of shownBefore) {
    const q = byId.get(id);
    if (q === undefined)
      missing.push({ question: id, detail: `${where} lacks the question node ${seen.node} showed` });
    else if (seen.outcome && q.outcome === null)
      missing.push({
        question: id,
        detail: `${where} lacks the outcome (${chosen.get(id)?.value.key ?? '?'})`,
      });
  }
  for (const q of poll.questions)
    if (q.outcome !== null && q.rule !== 'quick' && q.outcome.tally === null)
      missing.push({ question: q.id, detail: `${where} shows the close but not its final tally` });
  return missing;
}

function seqOf(e: Entry): number {
  return e.kind === 'healed' || e.kind === 'killed' ? 0 : e.stamp.seq;
}

/** Violations by kind, in the order of VIOLATION_KINDS. */
export function countByKind(violations: readonly Violation[]): Map<ViolationKind, number> {
  const counts = new Map<ViolationKind, number>();
  for (const kind of VIOLATION_KINDS) {
    const n = violations.filter((v) => v.kind === kind).length;
    if (n > 0) counts.set(kind, n);
  }
  return counts;
}
