/**
 * The soak's negative controls: bugs put into the compiled daemon (out/) as it is loaded, never into
 * src/. bug-hook.ts registers bug-loader.ts, which rewrites one compiled file with `rewrite` below.
 * Each replacement must find its target exactly once, or the daemon refuses to start: a refactor of
 * the code it aims at cannot silently turn a control off (test/soak/bugs.test.ts tries every target
 * against src/ in `npm test`).
 */
import type { ViolationKind } from './checker.ts';

export type SoakBug = 'quorum-of-one' | 'ack-before-write';

export const SOAK_BUGS: readonly SoakBug[] = ['quorum-of-one', 'ack-before-write'];

/**
 * How long the buggy state log keeps an acknowledged write before it starts it. A kill -9, unlike a
 * power cut, keeps whatever reached the page cache: a write started at once would be on disk within
 * microseconds of its acknowledgement, and the bug would show only on a machine that loses power. This
 * is the bug as a slow disk (or a write-back cache) makes it matter.
 */
export const ACK_BEFORE_WRITE_DELAY_MS = 200;

export interface BugRewrite {
  /** The module, under src/ (and out/src/), without its extension. */
  readonly module: string;
  readonly replacements: readonly { readonly from: string; readonly to: string }[];
  /** What it does, for the summary. */
  readonly what: string;
  /** The kinds of violation it causes, which the baseline does not: catching it means finding one. */
  readonly causes: readonly ViolationKind[];
}

export const BUG_REWRITES: Readonly<Record<SoakBug, BugRewrite>> = {
  'quorum-of-one': {
    module: 'paxos/config',
    replacements: [{ from: 'return Math.floor(config.acceptors.length / 2) + 1;', to: 'return 1;' }],
    what: 'every decision needs one acceptor (quorumSize returns 1)',
    causes: ['outcome-disagreement', 'tally-disagreement', 'safety-violation-shown'],
  },
  'ack-before-write': {
    module: 'storage/state-log',
    replacements: [
      {
        from: 'this.#queue.push({ records, resolve, reject });',
        // Said written, and held as written (what the views show), before the write begins.
        to:
          'this.#queue.push({ records, resolve: () => undefined, reject: () => undefined }); ' +
          'for (const record of records) this.#live.set(record.id, record); resolve();',
      },
      {
        from: 'this.#flushing ??= this.#flush();',
        to: `setTimeout(() => { this.#flushing ??= this.#flush(); }, ${ACK_BEFORE_WRITE_DELAY_MS});`,
      },
    ],
    what: `every state log (Paxos state, questions, votes) says "written" at once, and shows the records as written, and writes them ${ACK_BEFORE_WRITE_DELAY_MS} ms later`,
    causes: [
      'forgot-asked-question',
      'forgot-vote',
      'outcome-disagreement',
      'tally-disagreement',
      'safety-violation-shown',
    ],
  },
};

export function parseBug(text: string | undefined): SoakBug | null {
  if (text === undefined || text === '') return null;
  const bug = SOAK_BUGS.find((b) => b === text);
  if (bug === undefined) throw new Error(`--bug must be one of ${SOAK_BUGS.join(', ')} (not "${text}")`);
  return bug;
}

/** The source of `bug`'s module with the bug put in; throws when a target is not there exactly once. */
export function rewrite(bug: SoakBug, source: string): string {
  let result = source;
  for (const { from, to } of BUG_REWRITES[bug].replacements) {
    const at = result.indexOf(from);
    if (at === -1 || result.indexOf(from, at + 1) !== -1)
      throw new Error(
        `negative control ${bug}: "${from}" is ${at === -1 ? 'not' : 'more than once'} in ${BUG_REWRITES[bug].module}; ` +
          'the code it aims at changed: update test/soak/bugs.ts',
      );
    result = result.slice(0, at) + to + result.slice(at + from.length);
  }
  return result;
}
