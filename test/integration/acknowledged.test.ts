/**
 * Whatever a node has told its user or a client stands after a crash at any instant: a question
 * asked, a proposal or a vote or a bid taken, a decision with its outcome, its proposer and its time
 * (`decidedAt`), a running or final tally, `myVote`. A restarted node shows it from its own disk, before
 * any peer answers.
 *
 * Three real daemons on loopback: A asks (with `--max-acceptors 2`, so each of A's questions has one
 * acceptor besides A and one member that only learns it), B and C. For every acknowledgement, on the
 * node that gave it (the asker, a proposer that did not ask, a voter, an acceptor that neither asked
 * nor proposed, a learner): record what the API answered or the event stream said, kill -9 that node
 * 0–50 ms later (and the others with it, so that nobody can tell it anything), restart it alone, and
 * compare its first `questions()` with what it had said. Each case runs a few rounds, so that a write
 * left for later is caught, whenever in its delay the crash falls.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OutcomeView, QuestionView, SynodEvent, TallyView } from '../../src/api/types.ts';
import { DaemonProcess, freePort, question, sleep, waitFor } from '../helpers/daemons.ts';

const ROUNDS = 2;
/** The longest wait between an answer and the kill. */
const MAX_CRASH_DELAY_MS = 50;

/** What a question view states about the question itself, as its asker was told. */
function askFacts(view: QuestionView | undefined) {
  if (view === undefined) return 'not listed';
  return {
    title: view.title,
    options: view.options,
    rule: view.rule,
    createdBy: view.createdBy,
    createdAt: view.createdAt,
    acceptors: view.acceptors.map((a) => a.peerId),
  };
}

/** A tally as one line of text (so that a difference shows as one line): option, score, who. */
function tallyText(tally: TallyView | null | undefined): string | null {
  if (tally === null || tally === undefined) return null;
  const lines = tally.lines.map((l) => `${l.option} ${l.score} (${l.members.map((m) => m.name).join(', ')})`);
  return `${tally.counted} counted${tally.sealed ? ', sealed' : ''}: ${lines.join('; ')}`;
}

/** What an outcome states: the option, who proposed (or closed) it, when, whether this node won, the close. */
function outcomeFacts(outcome: OutcomeView | null | undefined) {
  if (outcome === null || outcome === undefined) return { outcome: null };
  return {
    option: outcome.option,
    proposedBy: `${outcome.proposedByName} (${outcome.proposedBy})`,
    decidedAt: outcome.decidedAt,
    youWon: outcome.youWon,
    closedAt: outcome.close?.closedAt ?? null,
    finalTally: tallyText(outcome.close?.tally),
    winningBid:
      outcome.close?.winningBid === null || outcome.close?.winningBid === undefined
        ? null
        : `${outcome.close.winningBid.member.name} ${outcome.close.winningBid.amount}`,
  };
}

/** A decision shown: the question is listed, decided, with its outcome. */
function decidedFacts(view: QuestionView | undefined) {
  if (view === undefined) return 'not listed';
  return { state: view.state, ...outcomeFacts(view.outcome) };
}

/** A vote or a bid taken: this node's standing vote and the running tally it showed. */
function voteFacts(view: QuestionView | undefined) {
  if (view === undefined) return 'not listed';
  return {
    myVote: view.myVote === null ? null : `${view.myVote.option} ${view.myVote.amount ?? ''}`.trim(),
    tally: tallyText(view.tally),
  };
}

/**
 * Opens `d`'s event stream and resolves once the daemon has registered it (its answer's head has
 * arrived), with the function that closes it. HttpSynodClient.subscribe cannot say when that is.
 */
async function openEventStream(d: DaemonProcess, onEvent: (event: SynodEvent) => void): Promise<() => void> {
  const token = (await readFile(join(d.dataDir, 'api-token'), 'utf8')).trim();
  const controller = new AbortController();
  const res = await fetch(`${d.client.baseUrl}/api/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  if (!res.ok || res.body === null) throw new Error(`${d.name}'s event stream: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        buffer = buffer.slice(end + 2);
        if (data !== '') onEvent(JSON.parse(data) as SynodEvent);
      }
    }
  })().catch(() => undefined); // closed, or the daemon was killed
  return () => controller.abort();
}

/** The question's id and title, for assertion messages. */
function named(view: QuestionView): string {
  return `"${view.title}" (${view.id.slice(0, 8)})`;
}

describe('every acknowledgement stands after kill -9 and a restart alone', { timeout: 300_000 }, () => {
  let base = '';
  let a: DaemonProcess;
  let b: DaemonProcess;
  let c: DaemonProcess;
  const all = () => [a, b, c];
  const names = new Map<string, string>();

  /** Starts whichever daemon is down, and waits until each sees the other two online. */
  async function everyoneUp(): Promise<void> {
    await Promise.all(all().map((d) => (d.api === null ? d.start() : Promise.resolve())));
    await waitFor(
      async () => {
        for (const d of all()) if ((await d.client.peers()).filter((p) => p.online).length < 2) return false;
        return true;
      },
      30_000,
      'A, B and C to see each other online',
    );
  }

  /**
   * The crash: `target` dies by kill -9 0–50 ms after it answered (`answeredAt`), with every other daemon,
   * so that it comes back alone. Resolves to the time from the answer to the kill, for the messages.
   */
  async function crashAfter(target: DaemonProcess, answeredAt: number): Promise<number> {
    const delay = Math.floor(Math.random() * (MAX_CRASH_DELAY_MS + 1));
    await sleep(Math.max(0, answeredAt + delay - Date.now()));
    const killedAfter = Date.now() - answeredAt;
    await target.kill9();
    await Promise.all(all().map((d) => d.kill9()));
    return killedAfter;
  }

  /** Restarts `target` alone and returns its first view of question `id`, shown from its disk only. */
  async function restartAlone(target: DaemonProcess, id: string): Promise<QuestionView | undefined> {
    for (const d of all()) assert.equal(d.api, null, `${d.name} is down before ${target.name} restarts`);
    await target.start();
    return question(target.client, id);
  }

  /** Until `d` knows question `id` (with `check` true of it, when given). */
  async function knows(d: DaemonProcess, id: string, check: (v: QuestionView) => boolean = () => true) {
    await waitFor(
      async () => {
        const view = await question(d.client, id);
        return view !== undefined && check(view);
      },
      10_000,
      `${d.name} to know question ${id}`,
    );
  }

  /** The role `d` has in question `view`: an acceptor or a learner. */
  function role(d: DaemonProcess, view: QuestionView): string {
    const peerId = names.get(d.name) ?? '';
    return view.acceptors.some((x) => x.peerId === peerId) ? 'an acceptor' : 'a learner';
  }

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'synod-ack-'));
    // Fixed ports: a daemon that restarts finds the others (and they find it) at the addresses kept on
    // disk, as laptops would by mDNS.
    const [pa, pb, pc] = await Promise.all([freePort(), freePort(), freePort()]);
    const listen = (port: number | undefined) => ['--listen', `/ip4/127.0.0.1/tcp/${port ?? 0}`];
    a = new DaemonProcess('A', join(base, 'a'), [...listen(pa), '--max-acceptors', '2']);
    b = new DaemonProcess('B', join(base, 'b'), listen(pb));
    c = new DaemonProcess('C', join(base, 'c'), listen(pc));
    await Promise.all(all().map((d) => d.start()));
    await a.client.createGroup({ groupName: 'crash tests', displayName: 'A' });
    const { invite } = await a.client.invite();
    for (const d of [b, c]) await d.client.joinGroup({ invite, displayName: d.name });
    await everyoneUp();
    for (const d of all()) names.set(d.name, (await d.client.status()).peerId);
    // Every member's addresses are on every disk (saved a second after they change), so that a
    // daemon restarting later finds the others.
    await sleep(1_500);
  });
  after(async () => {
    await Promise.all(all().map((d) => d?.stop()));
    if (base !== '') await rm(base, { recursive: true, force: true });
  });

  describe('case 1: the question A asked stands on A', () => {
    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}`, async () => {
        await everyoneUp();
        const asked = await a.client.createQuestion({ title: `Asked ${round}`, options: ['x', 'y'] });
        const killedAfter = await crashAfter(a, Date.now());
        const after = await restartAlone(a, asked.id);
        assert.deepEqual(
          askFacts(after),
          askFacts(asked),
          `case 1 round ${round}: A, killed ${killedAfter} ms after it answered the ask of ${named(asked)}, restarted alone`,
        );
      });
    }
  });

  describe('case 2: B proposes on A\'s question; the "decided" answer stands on B', () => {
    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}`, async () => {
        await everyoneUp();
        const asked = await a.client.createQuestion({ title: `Proposed ${round}`, options: [] });
        await knows(b, asked.id);
        const answer = await b.client.propose({ questionId: asked.id, option: `B's ${round}` });
        const answeredAt = Date.now();
        assert.equal(answer.state, 'decided', `case 2 round ${round}: B's proposal is decided`);
        const killedAfter = await crashAfter(b, answeredAt);
        const after = await restartAlone(b, asked.id);
        assert.deepEqual(
          decidedFacts(after),
          { state: 'decided', ...outcomeFacts(answer.state === 'decided' ? answer.outcome : null) },
          `case 2 round ${round}: B (${role(b, asked)} of ${named(asked)}, which it did not ask), ` +
            `killed ${killedAfter} ms after it answered "decided", restarted alone`,
        );
      });
    }
  });

  describe("case 3: C votes on A's vote; the vote and the tally it showed stand on C", () => {
    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}`, async () => {
        await everyoneUp();
        const asked = await a.client.createQuestion({
          title: `Vote ${round}`,
          options: ['Dawn', 'Dusk'],
          rule: 'vote',
        });
        await knows(b, asked.id);
        await knows(c, asked.id);
        await a.client.vote({ questionId: asked.id, option: 'Dawn' });
        await b.client.vote({ questionId: asked.id, option: 'Dusk' });
        await knows(c, asked.id, (v) => v.tally?.counted === 2);
        const answer = await c.client.vote({ questionId: asked.id, option: 'Dusk' });
        const killedAfter = await crashAfter(c, Date.now());
        assert.equal(answer.tally?.counted, 3, `case 3 round ${round}: C's answer counts three votes`);
        const after = await restartAlone(c, asked.id);
        assert.deepEqual(
          voteFacts(after),
          voteFacts(answer),
          `case 3 (vote) round ${round}: C (${role(c, asked)} of ${named(asked)}), ` +
            `killed ${killedAfter} ms after it answered the vote, restarted alone`,
        );
      });
    }
  });

  describe("case 3: C bids on A's auction; the bid and the sealed count it showed stand on C", () => {
    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}`, async () => {
        await everyoneUp();
        const asked = await a.client.createQuestion({
          title: `Auction ${round}`,
          options: [],
          rule: 'sealed-bid',
        });
        await knows(b, asked.id);
        await knows(c, asked.id);
        await b.client.bid({ questionId: asked.id, amount: 50 });
        await knows(c, asked.id, (v) => v.tally?.counted === 1);
        const answer = await c.client.bid({ questionId: asked.id, amount: 70 + round });
        const killedAfter = await crashAfter(c, Date.now());
        assert.equal(answer.myVote?.amount, 70 + round, `case 3 round ${round}: C's answer shows its bid`);
        const after = await restartAlone(c, asked.id);
        assert.deepEqual(
          voteFacts(after),
          voteFacts(answer),
          `case 3 (bid) round ${round}: C (${role(c, asked)} of ${named(asked)}), ` +
            `killed ${killedAfter} ms after it answered the bid, restarted alone`,
        );
      });
    }
  });

  describe('case 4: A closes its vote; the "decided" answer and its final tally stand on A', () => {
    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}`, async () => {
        await everyoneUp();
        const asked = await a.client.createQuestion({
          title: `Closed ${round}`,
          options: ['Red', 'Blue'],
          rule: 'vote',
        });
        await knows(b, asked.id);
        await knows(c, asked.id);
        await b.client.vote({ questionId: asked.id, option: 'Blue' });
        await c.client.vote({ questionId: asked.id, option: 'Blue' });
        await a.client.vote({ questionId: asked.id, option: 'Red' });
        await knows(a, asked.id, (v) => v.tally?.counted === 3);
        const answer = await a.client.close({ questionId: asked.id });
        const answeredAt = Date.now();
        assert.equal(answer.state, 'decided', `case 4 round ${round}: A's close is decided`);
        const killedAfter = await crashAfter(a, answeredAt);
        const shown = answer.state === 'decided' ? answer.outcome : null;
        assert.notEqual(shown?.close?.tally ?? null, null, `case 4 round ${round}: the answer has the tally`);
        const after = await restartAlone(a, asked.id);
        assert.deepEqual(
          decidedFacts(after),
          { state: 'decided', ...outcomeFacts(shown) },
          `case 4 round ${round}: A, killed ${killedAfter} ms after it answered the close of ${named(asked)} ` +
            `with its final tally, restarted alone`,
        );
      });
    }
  });

  describe('case 5: the "decided" event stands on an acceptor that neither asked nor proposed, and on the learner', () => {
    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}`, async () => {
        await everyoneUp();
        // Both watch the event stream from before the question is asked; each is killed 0–50 ms after
        // the first event that shows the question decided.
        const title = `Watched ${round}`;
        const seen = new Map<string, { view: QuestionView; killedAfter: Promise<number> }>();
        const watch = (d: DaemonProcess) =>
          openEventStream(d, (event) => {
            if (event.type !== 'question' || event.question.title !== title) return;
            if (event.question.outcome === null || seen.has(d.name)) return;
            const at = Date.now();
            const delay = Math.floor(Math.random() * (MAX_CRASH_DELAY_MS + 1));
            const killedAfter = sleep(delay).then(async () => {
              const ms = Date.now() - at;
              await d.kill9();
              return ms;
            });
            seen.set(d.name, { view: event.question, killedAfter });
          });
        const closes = await Promise.all([watch(b), watch(c)]);
        const asked = await a.client.createQuestion({ title, options: [] });
        const acceptorId = asked.acceptors.map((x) => x.peerId).find((p) => p !== names.get('A'));
        const acceptor = acceptorId === names.get('B') ? b : c;
        const learner = acceptor === b ? c : b;
        try {
          await knows(acceptor, asked.id);
          const proposed = await a.client.propose({ questionId: asked.id, option: `A's ${round}` });
          assert.equal(proposed.state, 'decided', `case 5 round ${round}: A's proposal is decided`);
          await waitFor(
            () => seen.size === 2,
            10_000,
            `case 5 round ${round}: the "decided" events on B and C`,
          );
        } finally {
          for (const close of closes) close();
        }
        const killedAfter = new Map<string, number>();
        for (const [name, seenOn] of seen) killedAfter.set(name, await seenOn.killedAfter);
        await Promise.all(all().map((d) => d.kill9()));

        const failures: string[] = [];
        for (const [d, what] of [
          [acceptor, 'an acceptor that neither asked nor proposed'],
          [learner, 'the learner'],
        ] as const) {
          const event = seen.get(d.name)?.view;
          assert.ok(event, `case 5 round ${round}: ${d.name} saw the event`);
          const after = await restartAlone(d, asked.id);
          await d.kill9();
          try {
            assert.deepEqual(
              decidedFacts(after),
              decidedFacts(event),
              `case 5 round ${round}: ${d.name} (${what} of ${named(asked)}), killed ` +
                `${killedAfter.get(d.name)} ms after its "decided" event, restarted alone`,
            );
          } catch (error) {
            failures.push((error as Error).message);
          }
        }
        if (failures.length > 0) assert.fail(failures.join('\n'));
      });
    }
  });
});
