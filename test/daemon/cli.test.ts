import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { QuestionView } from '../../src/api/types.ts';
import { DaemonGroup, question, waitFor } from '../helpers/daemons.ts';

const BIN = new URL('../../bin/synod.js', import.meta.url).pathname;

describe('the synod command line against running daemons', () => {
  let group: DaemonGroup;
  before(async () => {
    group = await DaemonGroup.start(2, { join: false });
  });
  after(() => group?.stop());

  const synod = (node: number, ...args: string[]) => {
    const d = group.daemons[node];
    assert.ok(d);
    return spawnSync(process.execPath, [BIN, ...args, '--data-dir', d.dataDir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
  };

  it('creates and joins a group, asks, proposes and lists, in text and in JSON', async () => {
    assert.equal(synod(0, 'create-group', 'Book club', '--name', 'Ann').status, 0);
    const invite = synod(0, 'invite').stdout.trim();
    assert.match(invite, /^synod2:/);
    const joined = synod(1, 'join', invite, '--name', 'Ben');
    assert.equal(joined.status, 0, joined.stderr);
    assert.match(joined.stdout, /joined the group "Book club" as Ben/);
    await group.waitForMesh();
    const peers = JSON.parse(synod(0, 'peers', '--json').stdout) as { name: string; online: boolean }[];
    assert.deepEqual(
      peers.map((p) => [p.name, p.online]),
      [['Ben', true]],
    );

    const asked = JSON.parse(
      synod(0, 'ask', 'Next book?', '--option', 'Dune', '--option', 'Emma', '--json').stdout,
    ) as QuestionView;
    assert.deepEqual(asked.options, ['Dune', 'Emma']);
    const d1 = group.daemons[1];
    assert.ok(d1);
    await waitFor(
      async () => (await question(d1.client, asked.id)) !== undefined,
      10_000,
      'Ben to know the question',
    );
    const proposed = synod(1, 'propose', asked.id.slice(0, 8), 'Emma');
    assert.equal(proposed.status, 0, proposed.stderr);
    assert.match(proposed.stdout, /decided: Emma \(proposed by Ben\)/);
    const listed = synod(0, 'questions');
    assert.match(listed.stdout, /Next book\?\n {2}DECIDED: Emma \(proposed by Ben\)/);
  });

  it('asks a vote with a deadline, votes, shows the tally and closes it; runs a sealed-bid auction', async () => {
    const asked = JSON.parse(
      synod(
        0,
        'ask',
        'Which day?',
        '--option',
        'Sat',
        '--option',
        'Sun',
        '--rule',
        'vote',
        '--deadline',
        '1h',
        '--json',
      ).stdout,
    ) as QuestionView;
    assert.equal(asked.rule, 'vote');
    assert.ok(asked.deadline !== null && Math.abs(asked.deadline - Date.now() - 3_600_000) < 60_000);
    const d1 = group.daemons[1];
    assert.ok(d1);
    await waitFor(async () => (await question(d1.client, asked.id)) !== undefined, 10_000, 'Ben to know it');
    assert.equal(synod(0, 'vote', 'Which day?', 'Sun').status, 0);
    const benVotes = synod(1, 'vote', asked.id.slice(0, 8), 'Sun');
    assert.equal(benVotes.status, 0, benVotes.stderr);
    await waitFor(
      async () => (await question(group.daemons[0]?.client ?? d1.client, asked.id))?.tally?.counted === 2,
      10_000,
      'both votes at Ann',
    );
    assert.match(
      synod(0, 'questions').stdout,
      /Which day\?\n {2}open: .*\n {2}vote, closes .*\n {2}Sun: 2 \| Sat: 0/,
    );
    const early = synod(1, 'close', 'Which day?');
    assert.equal(early.status, 1);
    assert.match(early.stderr, /only the member who asked this question can close it before its deadline/);
    const closed = synod(0, 'close', 'Which day?');
    assert.equal(closed.status, 0, closed.stderr);
    assert.match(closed.stdout, /closed by Ann: Sun/);

    const auction = JSON.parse(
      synod(0, 'ask', 'The quilt', '--rule', 'sealed-bid', '--json').stdout,
    ) as QuestionView;
    await waitFor(
      async () => (await question(d1.client, auction.id)) !== undefined,
      10_000,
      'Ben to know it',
    );
    assert.equal(synod(1, 'bid', 'The quilt', '40').status, 0);
    assert.equal(synod(0, 'bid', 'The quilt', '35.5').status, 0);
    assert.match(synod(1, 'bid', 'The quilt', 'lots').stderr, /expected number|number/);
    await waitFor(
      async () => (await question(group.daemons[0]?.client ?? d1.client, auction.id))?.tally?.counted === 2,
      10_000,
      'both bids',
    );
    assert.match(
      synod(0, 'questions').stdout,
      /The quilt\n.*\n {2}auction\n {2}2 bids \(amounts shown at the close\)/,
    );
    assert.match(synod(0, 'close', 'The quilt').stdout, /closed by Ann: the lot — Ben wins with 40\n/);
    assert.match(synod(0, 'questions').stdout, /DECIDED: the lot \(closed by Ann\) — Ben with 40/);
  });

  it('watch prints the state as it is first, then each change', async () => {
    const d0 = group.daemons[0];
    assert.ok(d0);
    const child = spawn(process.execPath, [BIN, 'watch', '--data-dir', d0.dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      // Questions asked before the watch began are printed at once.
      await waitFor(
        async () => output.includes('Which day?') && output.includes('peers: Ben'),
        15_000,
        'the state',
      );
      assert.match(output, /^status: group Book club/);
      const asked = await d0.client.createQuestion({ title: 'Asked while watching', options: [] });
      await waitFor(async () => output.includes(asked.title), 10_000, 'the change');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('watch whose reader stops reading (`synod watch | head -1`) ends quietly', async () => {
    const d0 = group.daemons[0];
    assert.ok(d0);
    const child = spawn(process.execPath, [BIN, 'watch', '--data-dir', d0.dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (status) => resolve(status)));
    // What head does after its first line: it closes the pipe.
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    await d0.client.createQuestion({ title: 'Asked after the reader left', options: [] });
    assert.equal(await exited, 0);
    assert.doesNotMatch(errors, /EPIPE|Error|at /);
  });

  it('a daemon whose output is no terminal prints no link (a log file may be readable by others)', () => {
    const output = group.daemons[0]?.output ?? '';
    assert.match(output, /synod daemon: peer/);
    assert.doesNotMatch(output, /#code=/);
    assert.match(output, /run "synod open"/);
  });

  it('opens a browser link, and rotates the token: the old token and the unused link stop working', async () => {
    const opened = synod(0, 'open');
    assert.equal(opened.status, 0, opened.stderr);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/#code=[0-9a-f]{32})/.exec(opened.stdout)?.[1];
    assert.ok(url, opened.stdout);
    const d0 = group.daemons[0];
    assert.ok(d0);
    const oldClient = d0.client;
    const rotated = synod(0, 'rotate-token');
    assert.equal(rotated.status, 0, rotated.stderr);
    await assert.rejects(oldClient.status(), /token|unauthorized|401/i);
    const code = new URL(url).hash.slice('#code='.length);
    const redeem = await fetch(new URL('/api/session', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    assert.equal(redeem.status, 401);
    // The command line reads the new token from the data directory.
    assert.equal(synod(0, 'status').status, 0);
  });

  it('reports mistakes with exit code 1 and a message that says what to do', () => {
    const empty = synod(0, 'ask', '   ');
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /synod ask: title: the title must not be empty/);
    const unknown = synod(0, 'propose', 'no such question', 'x');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no question matches "no such question"/);
    const command = synod(0, 'frobnicate');
    assert.equal(command.status, 1);
    assert.match(command.stderr, /unknown command "frobnicate"/);
    const nowhere = spawnSync(process.execPath, [BIN, 'status', '--data-dir', '/nonexistent/synod'], {
      encoding: 'utf8',
    });
    assert.equal(nowhere.status, 1);
    assert.match(
      nowhere.stderr,
      /no Synod daemon has run with the data directory \/nonexistent\/synod: start one with/,
    );
    // A daemon that ran once but is gone now (its api.json stayed behind).
    const staleDir = mkdtempSync(join(tmpdir(), 'synod-stale-'));
    writeFileSync(join(staleDir, 'api.json'), JSON.stringify({ port: 1, pid: 1, peerId: 'gone' }));
    writeFileSync(join(staleDir, 'api-token'), 'f'.repeat(64));
    const gone = spawnSync(process.execPath, [BIN, 'status', '--data-dir', staleDir], { encoding: 'utf8' });
    rmSync(staleDir, { recursive: true, force: true });
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /cannot reach the Synod node at http:\/\/127\.0\.0\.1:1: is it running\?/);
  });

  it('a second group on the same laptop: create-group again, groups, and --group for any command', async () => {
    const created = synod(0, 'create-group', 'Chess club', '--name', 'Annie', '--json');
    assert.equal(created.status, 0, created.stderr);
    const chessId = (JSON.parse(created.stdout) as { group: { id: string } }).group.id;
    const listed = synod(0, 'groups');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /"Book club" as Ann · \d+ questions? · first \(used without --group\)\n/);
    assert.match(listed.stdout, new RegExp(`${chessId} {2}"Chess club" as Annie · 0 questions\\n`));
    const invite = synod(0, 'invite', '--group', 'Chess club').stdout.trim();
    const joined = synod(1, 'join', invite, '--name', 'Ben');
    assert.equal(joined.status, 0, joined.stderr);
    assert.match(joined.stdout, /joined the group "Chess club" as Ben/);
    const asked = synod(0, 'ask', 'Which opening?', '--option', 'Sicilian', '--group', chessId.slice(0, 6));
    assert.equal(asked.status, 0, asked.stderr);
    const d1 = group.daemons[1];
    assert.ok(d1);
    // Over HTTP, /api/groups/:id/… is the same call in that group; /api/… stays the first group.
    const bensChess = d1.client.inGroup(chessId);
    await waitFor(
      async () => (await bensChess.questions()).some((q) => q.title === 'Which opening?'),
      10_000,
      'Ben to know the chess question',
    );
    assert.ok(!(await d1.client.questions()).some((q) => q.title === 'Which opening?'));
    assert.doesNotMatch(synod(0, 'questions').stdout, /Which opening\?/);
    assert.match(synod(0, 'questions', '--group', 'Chess club').stdout, /Which opening\?/);
    const nowhere = synod(0, 'questions', '--group', 'Go club');
    assert.equal(nowhere.status, 1);
    assert.match(nowhere.stderr, /this laptop is in no group "Go club" \(see "synod groups"\)/);
    const again = synod(1, 'join', invite, '--name', 'Ben');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /this laptop is in the group "Chess club" already/);
  });
});
