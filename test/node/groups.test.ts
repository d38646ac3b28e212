import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SynodError, type SynodApi } from '../../src/api/types.ts';
import { GROUPS_DIR, SynodNode } from '../../src/node/synod-node.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function startNode(dir?: string): Promise<{ node: SynodNode; dir: string }> {
  const dataDir = dir ?? (await mkdtemp(join(tmpdir(), 'synod-groups-')));
  if (dir === undefined) dirs.push(dataDir);
  const node = await SynodNode.start({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
  return { node, dir: dataDir };
}

async function waitUntil(condition: () => Promise<unknown>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const code = (expected: string) => (error: unknown) => error instanceof SynodError && error.code === expected;

/** Asks a quick question in `api`'s group and has it decided there. */
async function decide(api: SynodApi, title: string, option: string): Promise<string> {
  const question = await api.createQuestion({ title, options: [option] });
  const result = await api.propose({ questionId: question.id, option, waitMs: 10_000 });
  assert.equal(result.state, 'decided');
  return question.id;
}

describe('several groups on one laptop', () => {
  it('one identity in two groups: each its own members, questions and network; both back after a restart', async () => {
    const { node: ann, dir } = await startNode();
    const { node: bob } = await startNode();
    const { node: carol } = await startNode();
    let bookId: string;
    let chessId: string;
    let bookQuestion: string;
    let chessQuestion: string;
    try {
      assert.deepEqual(await ann.groups(), []);
      const book = await ann.createGroup({ groupName: 'Book club', displayName: 'Ann' });
      bookId = book.group?.id ?? '';
      // A second create makes a second group: the first stays as it was.
      const chess = await ann.createGroup({ groupName: 'Chess club', displayName: 'Annie' });
      chessId = chess.group?.id ?? '';
      assert.notEqual(chessId, bookId);
      assert.equal(chess.peerId, ann.peerId, 'one identity in every group');
      assert.equal((await ann.status()).group?.id, bookId, 'the API without a group is the first group');
      assert.deepEqual(
        (await ann.groups()).map((g) => [g.name, g.displayName, g.first, g.self]),
        [
          ['Book club', 'Ann', true, 'member'],
          ['Chess club', 'Annie', false, 'member'],
        ],
      );
      const annChess = ann.inGroup(chessId);
      assert.equal((await annChess.group()).name, 'Chess club');
      assert.throws(() => ann.inGroup('0123456789abcdef'), code('not-found'));
      // Each group has a network of its own (its own key): its own addresses.
      const [bookAddress] = (await ann.status()).addresses;
      const [chessAddress] = (await annChess.status()).addresses;
      assert.notEqual(bookAddress, chessAddress);

      const bobJoin = await bob.joinGroup({ invite: (await ann.invite()).invite, displayName: 'Bob' });
      assert.equal(bobJoin.admitted, true);
      const carolJoin = await carol.joinGroup({
        invite: (await annChess.invite()).invite,
        displayName: 'Carol',
      });
      assert.equal(carolJoin.admitted, true);
      assert.equal(carolJoin.status.group?.name, 'Chess club');
      // Joining a group the laptop is in already is refused, and adds no group.
      await assert.rejects(
        ann.joinGroup({ invite: (await annChess.invite()).invite, displayName: 'Ann' }),
        code('already-in-group'),
      );
      await assert.rejects(
        ann.joinGroup({ invite: 'synod2:nonsense', displayName: 'Ann' }),
        code('invalid-input'),
      );
      assert.equal((await ann.groups()).length, 2);
      assert.equal((await readdir(join(dir, GROUPS_DIR))).length, 1, 'a refused join leaves no directory');

      bookQuestion = await decide(bob, 'Which book?', 'Dune');
      chessQuestion = await decide(carol, 'Which opening?', 'Sicilian');
      await waitUntil(async () => (await ann.questions()).some((q) => q.id === bookQuestion && q.outcome));
      await waitUntil(async () =>
        (await annChess.questions()).some((q) => q.id === chessQuestion && q.outcome),
      );
      // Nothing crosses between the groups: not the members, not the questions.
      assert.deepEqual(
        (await ann.questions()).map((q) => q.title),
        ['Which book?'],
      );
      assert.deepEqual(
        (await annChess.questions()).map((q) => q.title),
        ['Which opening?'],
      );
      assert.deepEqual(
        (await ann.peers()).map((p) => p.name),
        ['Bob'],
      );
      assert.deepEqual(
        (await annChess.peers()).map((p) => p.name),
        ['Carol'],
      );
      assert.deepEqual(
        (await bob.questions()).map((q) => q.title),
        ['Which book?'],
      );
      assert.deepEqual(
        (await carol.questions()).map((q) => q.title),
        ['Which opening?'],
      );
      assert.deepEqual(
        (await ann.groups()).map((g) => g.questions),
        [1, 1],
      );
      // A laptop that left its group starts another: the group it left stays, as left.
      await bob.leaveGroup();
      await bob.createGroup({ groupName: 'Go club', displayName: 'Bob' });
      assert.deepEqual(
        (await bob.groups()).map((g) => [g.name, g.self]),
        [
          ['Book club', 'left'],
          ['Go club', 'member'],
        ],
      );
    } finally {
      await Promise.all([bob.stop(), carol.stop()]);
      await ann.stop();
    }
    // An addition that never finished (a crash before its group was saved) goes at the next start.
    const unfinished = join(dir, GROUPS_DIR, 'ffffffffffffffff');
    await mkdir(unfinished);
    await writeFile(join(unfinished, 'questions.log'), '');
    const again = await startNode(dir);
    try {
      assert.deepEqual(
        (await again.node.groups()).map((g) => [g.id, g.name]),
        [
          [bookId, 'Book club'],
          [chessId, 'Chess club'],
        ],
      );
      const outcomeOf = async (api: SynodApi, id: string) =>
        (await api.questions()).find((q) => q.id === id)?.outcome?.option;
      assert.equal(await outcomeOf(again.node, bookQuestion), 'Dune');
      assert.equal(await outcomeOf(again.node.inGroup(chessId), chessQuestion), 'Sicilian');
      assert.equal(await outcomeOf(again.node.inGroup(chessId), bookQuestion), undefined);
      assert.deepEqual(
        await readdir(join(dir, GROUPS_DIR)).then((d) => d.includes('ffffffffffffffff')),
        false,
      );
    } finally {
      await again.node.stop();
    }
  });

  it('the way out of a group whose laptops are gone: a successor that names it; the old one read-only', async () => {
    const { node: ann, dir: annDir } = await startNode();
    const { node: bob, dir: bobDir } = await startNode();
    const { node: carol } = await startNode();
    let oldId: string;
    let newId: string;
    let invite: string;
    try {
      oldId = (await ann.createGroup({ groupName: 'Book club', displayName: 'Ann' })).group?.id ?? '';
      for (const [node, name] of [
        [bob, 'Bob'],
        [carol, 'Carol'],
      ] as const)
        assert.equal(
          (await node.joinGroup({ invite: (await ann.invite()).invite, displayName: name })).admitted,
          true,
        );
      const before = await ann.group();
      assert.equal(before.deciders.length, 3);
      // Bob's and Carol's laptops go: Ann alone is no majority of the three who decide.
      await Promise.all([bob.stop(), carol.stop()]);
      const started = await ann.continueGroup();
      newId = started.group?.id ?? '';
      assert.notEqual(newId, oldId);
      assert.equal(started.group?.name, 'Book club');
      assert.equal(started.displayName, 'Ann');
      const successor = ann.inGroup(newId);
      assert.deepEqual((await successor.group()).predecessor, {
        groupId: oldId,
        name: 'Book club',
        epoch: before.epoch,
      });
      assert.deepEqual((await ann.group()).successor, { groupId: newId, name: 'Book club' });
      assert.deepEqual(
        (await ann.groups()).map((g) => [g.id, g.continuedIn]),
        [
          [oldId, newId],
          [newId, null],
        ],
      );
      // The old group is read-only on this laptop: no question, no invite, no change, no second successor.
      for (const refused of [
        ann.createQuestion({ title: 'Still here?', options: [] }),
        ann.invite(),
        ann.renameGroup({ name: 'Old club' }),
        ann.continueGroup(),
      ])
        await assert.rejects(
          refused,
          (e: unknown) => code('no-group')(e) && /continues this group in "Book club"/.test(String(e)),
        );
      invite = (await successor.invite()).invite;
    } finally {
      await ann.stop();
    }
    // After a restart, the old group still says where it continues.
    const annAgain = (await startNode(annDir)).node;
    const bobAgain = (await startNode(bobDir)).node;
    try {
      assert.deepEqual((await annAgain.group()).successor, { groupId: newId, name: 'Book club' });
      await assert.rejects(annAgain.createQuestion({ title: 'Still here?', options: [] }), code('no-group'));
      // An invite whose genesis names another predecessor (or epoch) is not the group's: refused.
      const [prefix, body] = [invite.slice(0, 'synod2:'.length), invite.slice('synod2:'.length)];
      const json = JSON.parse(Buffer.from(body, 'base64url').toString()) as {
        genesis: { predecessor: { epoch: number } };
      };
      json.genesis.predecessor.epoch += 1;
      const tampered = prefix + Buffer.from(JSON.stringify(json)).toString('base64url');
      await assert.rejects(bobAgain.joinGroup({ invite: tampered, displayName: 'Bob' }), /damaged/);
      // Bob comes back and joins the successor: his old group is marked continued in it too.
      const joined = await bobAgain.joinGroup({ invite, displayName: 'Bob' });
      assert.equal(joined.admitted, true);
      assert.deepEqual(
        (await bobAgain.groups()).map((g) => [g.id, g.self, g.continuedIn]),
        [
          [oldId, 'member', newId],
          [newId, 'member', null],
        ],
      );
      await assert.rejects(bobAgain.createQuestion({ title: 'Here?', options: [] }), code('no-group'));
      const inNew = await bobAgain.inGroup(newId).createQuestion({ title: 'Where next?', options: ['Here'] });
      await waitUntil(async () => (await annAgain.inGroup(newId).questions()).some((q) => q.id === inNew.id));
    } finally {
      await Promise.all([bobAgain.stop(), annAgain.stop()]);
    }
  });
});
