/** The soak's report: what the run went through, and each kind of violation with a few examples. */
import { convergedAfter, countByKind, type Violation } from './checker.ts';
import type { Entry } from './history.ts';
import type { SoakResult } from './soak.ts';

/** Examples printed per kind of violation (all are in the count). */
const EXAMPLES = 4;

export function summarize(result: SoakResult, violations: readonly Violation[]): string[] {
  const f = result.figures;
  const { history } = result;
  const asked = f.asked.quick + f.asked.vote + f.asked['sealed-bid'];
  const lines = [
    `questions asked: ${asked} (quick ${f.asked.quick}, vote ${f.asked.vote}, sealed bid ${f.asked['sealed-bid']}); ` +
      `decided (shown by a node): ${decided(history)}`,
    `requests: ${total(f.proposals)} proposals answered (${f.proposals.decided} decided, ${f.proposals.pending} pending, ` +
      `${f.proposals.failed} failed; ${f.proposals.unknown} more found the question not known there yet); ` +
      `${f.votes.vote} votes and ${f.votes.bid} bids acknowledged (${f.votes.failed} not); ` +
      `${total(f.closes)} closes answered (${f.closes.decided} decided, ${f.closes.pending} pending, ${f.closes.failed} failed)`,
    `faults: ${f.kills.random + f.kills.afterAnswer + f.kills.afterEvent} kill -9 (${f.kills.random} at random moments, ` +
      `${f.kills.afterAnswer} right after an answer, ${f.kills.afterEvent} right after an event showing an outcome), ` +
      `${f.restarts} restarts, ${f.pauses} pauses, ${f.partitions} partitions, ${f.lossPeriods} periods of loss, ` +
      `${f.skippedFaults} planned faults skipped (a majority stays up)`,
    `observed: ${f.polls} polls (${history.filter((e) => e.kind === 'poll' && e.afterRestart).length} of a restarted node's disk), ${f.events} events`,
  ];
  const failures = [...f.failures].sort((a, b) => b[1] - a[1]);
  if (failures.length > 0)
    lines.push(
      `failed requests: ${failures
        .slice(0, 6)
        .map(([why, n]) => `${n} × ${why}`)
        .join('; ')}`,
    );
  const converged = [...convergedAfter(history)];
  if (converged.length > 0) {
    const late = converged.filter(([, ms]) => ms === null).map(([n]) => n);
    const slowest = Math.max(...converged.map(([, ms]) => ms ?? 0));
    lines.push(
      late.length === 0
        ? `convergence after the final heal: every node showed everything within ${(slowest / 1000).toFixed(1)} s`
        : `convergence after the final heal: nodes ${late.join(', ')} never showed everything`,
    );
  }
  if (f.daemonExits > 0) lines.push(`PROBLEM: ${f.daemonExits} daemons ended by themselves (not killed)`);
  if (f.storageErrors > 0) lines.push(`PROBLEM: ${f.storageErrors} restarts found the state on disk damaged`);
  const counts = countByKind(violations);
  if (counts.size === 0) {
    lines.push('violations: none');
    return lines;
  }
  lines.push(`violations: ${[...counts].map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
  for (const kind of counts.keys()) {
    const ofKind = violations.filter((v) => v.kind === kind);
    for (const v of ofKind.slice(0, EXAMPLES))
      lines.push(`  ${kind} on node ${v.node}, question ${v.question.slice(0, 8)}: ${v.detail}`);
    if (ofKind.length > EXAMPLES) lines.push(`  … and ${ofKind.length - EXAMPLES} more ${kind}`);
  }
  return lines;
}

function total(counts: { decided: number; pending: number; failed: number }): number {
  // Answers that the question is unknown there are not counted: the soak asks again.
  return counts.decided + counts.pending + counts.failed;
}

function decided(history: readonly Entry[]): number {
  const ids = new Set<string>();
  for (const e of history) {
    if (e.kind === 'said' && e.shown.outcome !== null) ids.add(e.shown.id);
    if (e.kind === 'said-outcome') ids.add(e.question);
    if (e.kind === 'poll') for (const q of e.questions) if (q.outcome !== null) ids.add(q.id);
  }
  return ids.size;
}
