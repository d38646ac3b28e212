import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SynodError } from '../../src/api/types.ts';
import { decodeAnyInvite, encodeGroupInvite, isGroupInvite } from '../../src/model/invite.ts';
import { SynodNode } from '../../src/node/synod-node.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function startNode(dir?: string): Promise<{ node: SynodNode; dir: string }> {
  const dataDir = dir ?? (await mkdtemp(join(tmpdir(), 'synod-node-')));
  if (dir === undefined) dirs.push(dataDir);
  const node = await SynodNode.start({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
  return { node, dir: dataDir };
}

async function staticPeersOf(dir: string): Promise<string[]> {
  return (JSON.parse(await readFile(join(dir, 'group.json'), 'utf8')) as { staticPeers: string[] })
    .staticPeers;
}

async function waitUntil(condition: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const code = (expected: string) => (error: unknown) => error instanceof SynodError && error.code === expected;

describe('SynodNode API', () => {
  it('outside a group, everything that needs one is refused and nothing changes', async () => {
    const { node } = await startNode();
    try {
      await assert.rejects(node.createQuestion({ title: 'Q', options: [] }), code('no-group'));
      await assert.rejects(node.propose({ questionId: 'a'.repeat(32), option: 'x' }), code('no-group'));
      await assert.rejects(node.invite(), code('no-group'));
      await assert.rejects(
        node.joinGroup({ invite: 'hello', displayName: 'Ann' }),
        /an invite starts with "synod2:"/,
      );
      for (const damaged of ['synod2:AAAA', 'synod1:AAAA'])
        await assert.rejects(node.joinGroup({ invite: damaged, displayName: 'Ann' }), /invite is damaged/);
      await assert.rejects(
        node.createGroup({ groupName: '', displayName: 'Ann' }),
        /group name must not be empty/,
      );
      assert.equal((await node.status()).group, null);
      assert.deepEqual(await node.questions(), []);
    } finally {
      await node.stop();
    }
  });

  it('a group is created once: its own node refuses a second create or join; a bad address is refused', async () => {
    const { node } = await startNode();
    try {
      await node.createGroup({ groupName: 'Book club', displayName: 'Ann' });
      const book = node.inGroup((await node.status()).group?.id ?? '');
      await assert.rejects(
        book.createGroup({ groupName: 'Other', displayName: 'Ann' }),
        code('already-in-group'),
      );
      await assert.rejects(
        book.joinGroup({ invite: (await book.invite()).invite, displayName: 'Ann' }),
        code('already-in-group'),
      );
      await assert.rejects(node.addPeer({ address: '/ip4/10.0.0.1/tcp/4001' }), /not a full address/);
      await assert.rejects(node.addPeer({ address: 'not an address' }), code('invalid-input'));
    } finally {
      await node.stop();
    }
  });

  it('the 21st question in a minute is refused as too many for now (HTTP 429), and nothing is asked', async () => {
    const { node } = await startNode();
    try {
      await node.createGroup({ groupName: 'Busy club', displayName: 'Ann' });
      for (let i = 0; i < 20; i++)
        await node.createQuestion({ title: `Q${i}`, options: [], confirmAlone: true });
      await assert.rejects(
        node.createQuestion({ title: 'One too many', options: [], confirmAlone: true }),
        (e: unknown) =>
          code('rate-limited')(e) && /at most 20 questions a minute; try again later/.test(String(e)),
      );
      assert.equal((await node.questions()).length, 20);
    } finally {
      await node.stop();
    }
  });

  it('a member is added by address only when a member of this group answers there; then remembered', async () => {
    const { node: ann, dir } = await startNode();
    const { node: bob } = await startNode();
    const { node: stranger } = await startNode();
    try {
      await ann.createGroup({ groupName: 'G', displayName: 'Ann' });
      const nobody = '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
      await assert.rejects(
        ann.addPeer({ address: nobody }),
        (error: unknown) =>
          error instanceof SynodError &&
          error.code === 'unreachable' &&
          /nobody answered at .*tcp\/9.*Nothing was added/s.test(error.message),
      );
      // A laptop of another group: its network key differs, so it cannot answer as a member.
      await stranger.createGroup({ groupName: 'Other', displayName: 'Sam' });
      const strangerAddress = (await stranger.status()).addresses[0] ?? '';
      await assert.rejects(ann.addPeer({ address: strangerAddress }), code('unreachable'));
      assert.deepEqual(await staticPeersOf(dir), []);
      await assert.rejects(ann.addPeer({ address: (await ann.status()).addresses[0] ?? '' }), /own address/);

      await bob.joinGroup({ invite: (await ann.invite()).invite, displayName: 'Bob' });
      const bobAddress = (await bob.status()).addresses[0] ?? '';
      const added = await ann.addPeer({ address: bobAddress });
      assert.deepEqual(added, { peerId: bob.peerId, name: 'Bob' });
      const bobView = (await ann.peers()).find((p) => p.peerId === bob.peerId);
      assert.equal(bobView?.online, true);
      assert.ok(bobView.connectedSince !== null && bobView.connectedSince <= Date.now());
      assert.equal(bobView.lastDial?.error, null);
    } finally {
      await Promise.all([bob.stop(), stranger.stop()]);
      await ann.stop();
    }
    const again = await startNode(dir);
    try {
      assert.equal((await staticPeersOf(dir)).length, 1);
      assert.equal((await again.node.status()).group?.name, 'G');
      // Bob is gone: Ann's view of him says when the connection ended, and why dialing him fails.
      await waitUntil(async () => (await again.node.peers()).some((p) => p.lastDial?.error), 15_000);
      const bob = (await again.node.peers()).find((p) => p.name === 'Bob');
      assert.equal(bob?.online, false);
      assert.equal(bob.connectedSince, null);
      assert.ok(bob.lastSeen !== null);
      assert.match(bob.lastDial?.error ?? '', /ECONNREFUSED|refused|connect/i);
    } finally {
      await again.node.stop();
    }
  });

  it("a join says whom it reached, or that it reached nobody; an invite carries other members' addresses", async () => {
    const [ann, bob, carol, dave, erin] = (await Promise.all([1, 2, 3, 4, 5].map(() => startNode()))).map(
      (n) => n.node,
    ) as [SynodNode, SynodNode, SynodNode, SynodNode, SynodNode];
    try {
      await ann.createGroup({ groupName: 'Trip', displayName: 'Ann' });
      const joined = await bob.joinGroup({ invite: (await ann.invite()).invite, displayName: 'Bob' });
      assert.equal(joined.problem, null);
      assert.deepEqual(joined.reached, [{ peerId: ann.peerId, name: 'Ann' }]);
      assert.equal(
        (await carol.joinGroup({ invite: (await ann.invite()).invite, displayName: 'Carol' })).problem,
        null,
      );
      await waitUntil(async () => (await ann.peers()).filter((p) => p.online).length === 2, 10_000);
      const invite = decodeAnyInvite((await ann.invite()).invite);
      assert.ok(isGroupInvite(invite));
      const bobAddresses = (await bob.status()).addresses;
      assert.ok(
        bobAddresses.some((a) => invite.addresses.includes(a)),
        'the invite names Bob too',
      );

      // Ann's laptop goes away: her invite still leads to the group, through Bob and Carol (the
      // group's majority, which lets Dave in).
      await ann.stop();
      const viaOthers = await dave.joinGroup({ invite: encodeGroupInvite(invite), displayName: 'Dave' });
      assert.equal(viaOthers.problem, null);
      assert.equal(viaOthers.admitted, true);
      assert.ok(viaOthers.reached.length > 0);
      assert.ok(
        viaOthers.reached.every((m) => m.name === 'Bob' || m.name === 'Carol'),
        'not Ann, who is away',
      );

      // An invite whose only address is dead: told that it reached nobody, and why.
      const stale = encodeGroupInvite({
        ...invite,
        addresses: invite.addresses.filter((a) => a.endsWith(ann.peerId)),
      });
      const alone = await erin.joinGroup({ invite: stale, displayName: 'Erin', waitMs: 1_500 });
      assert.deepEqual(alone.reached, []);
      assert.equal(alone.admitted, false, 'nobody let Erin in');
      assert.match(alone.problem ?? '', /reached no member of "Trip".*nobody answered at the invite's/s);
      assert.match(alone.problem ?? '', /ECONNREFUSED|refused/i);
    } finally {
      await Promise.all([bob.stop(), carol.stop(), dave.stop(), erin.stop()]);
    }
  });

  it('a change of the group that a majority of its deciders is away for is answered in 15 s, saying so, and made once they are back', async () => {
    const { node: ann } = await startNode();
    const first = await startNode();
    let bob = first.node;
    try {
      await ann.createGroup({ groupName: 'Trip', displayName: 'Ann' });
      await bob.joinGroup({ invite: (await ann.invite()).invite, displayName: 'Bob' });
      await bob.stop();
      // Ann and Bob decide the group's changes: 2 of 2 are needed, and Ann is alone.
      const started = Date.now();
      await assert.rejects(
        ann.renameGroup({ name: 'Holiday' }),
        (error: unknown) =>
          error instanceof SynodError &&
          error.code === 'unreachable' &&
          /needs 2 of its 2 deciding members online, and 1 is/.test(error.message) &&
          /keeps proposing it/.test(error.message),
      );
      assert.ok(Date.now() - started < 20_000, 'answered, not left hanging');
      assert.equal((await ann.group()).name, 'Trip', 'not made, and not shown as made');
      bob = (await startNode(first.dir)).node;
      await waitUntil(async () => (await bob.group()).name === 'Holiday', 20_000);
      assert.equal((await ann.group()).name, 'Holiday');
    } finally {
      await Promise.all([ann.stop(), bob.stop()]);
    }
  });

  it("keeps its network port across restarts, so that invites and members' lists stay true", async () => {
    const { node, dir } = await startNode();
    await node.createGroup({ groupName: 'G', displayName: 'Ann' });
    const first = (await node.status()).addresses[0] ?? '';
    const invite = (await node.invite()).invite;
    await node.stop();
    const again = await startNode(dir);
    try {
      assert.equal((await again.node.status()).addresses[0], first, 'the same address after a restart');
      assert.deepEqual(
        decodeAnyInvite((await again.node.invite()).invite).addresses,
        decodeAnyInvite(invite).addresses,
      );
    } finally {
      await again.node.stop();
    }
    // Another program took the port meanwhile: a new one, kept from then on.
    const port = Number(/\/tcp\/(\d+)/.exec(first)?.[1]);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const moved = await startNode(dir);
      const second = (await moved.node.status()).addresses[0] ?? '';
      await moved.node.stop();
      assert.notEqual(second, first);
      const back = await startNode(dir);
      assert.equal((await back.node.status()).addresses[0], second);
      await back.node.stop();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('a lone member is told that it alone would decide, and asks only when it confirms', async () => {
    const { node } = await startNode();
    try {
      await node.createGroup({ groupName: 'Solo', displayName: 'Ann' });
      await assert.rejects(
        node.createQuestion({ title: 'Tea or coffee?', options: [] }),
        (error: unknown) =>
          error instanceof SynodError &&
          error.code === 'needs-confirmation' &&
          /Only you will decide this/.test(error.message),
      );
      assert.deepEqual(await node.questions(), []);
      const q = await node.createQuestion({ title: 'Tea or coffee?', options: [], confirmAlone: true });
      assert.deepEqual([q.acceptors.length, q.quorum], [1, 1]);
    } finally {
      await node.stop();
    }
  });

  it('a lone member is a quorum of one and decides at once; the outcome survives a restart', async () => {
    const { node, dir } = await startNode();
    await node.createGroup({ groupName: 'Solo', displayName: 'Ann' });
    const q = await node.createQuestion({
      title: 'Tea or coffee?',
      options: ['Tea', 'Coffee'],
      confirmAlone: true,
    });
    const result = await node.propose({ questionId: q.id, option: 'Tea' });
    assert.deepEqual(result.state === 'decided' && [result.outcome.option, result.won], ['Tea', true]);
    const peerId = node.peerId;
    await node.stop();
    const again = await startNode(dir);
    try {
      assert.equal(again.node.peerId, peerId);
      const [view] = await again.node.questions();
      assert.equal(view?.outcome?.option, 'Tea');
      assert.ok(view?.outcome?.decidedAt);
    } finally {
      await again.node.stop();
    }
  });

  it('damaged acceptor state: the node says so, names the file, and refuses to vote', async () => {
    const { node, dir } = await startNode();
    await node.createGroup({ groupName: 'G', displayName: 'Ann' });
    const q = await node.createQuestion({ title: 'Q', options: [], confirmAlone: true });
    await node.propose({ questionId: q.id, option: 'x' });
    await node.stop();
    const path = join(dir, 'state.log');
    const bytes = await readFile(path);
    await writeFile(path, Buffer.alloc(bytes.length, 0x42)); // every copy of every commit destroyed
    const damaged = await startNode(dir);
    try {
      const status = await damaged.node.status();
      assert.match(status.storageError ?? '', /state\.log.*cannot be trusted.*will not vote/s);
      await assert.rejects(damaged.node.propose({ questionId: q.id, option: 'y' }), code('storage-refused'));
      await assert.rejects(
        damaged.node.createQuestion({ title: 'New', options: [] }),
        code('storage-refused'),
      );
    } finally {
      await damaged.node.stop();
    }
  });

  it('a wiped state file under a surviving identity is refused too (the node voted before)', async () => {
    const { node, dir } = await startNode();
    await node.createGroup({ groupName: 'G', displayName: 'Ann' });
    await node.stop();
    await rm(join(dir, 'state.log'));
    const wiped = await startNode(dir);
    try {
      assert.match((await wiped.node.status()).storageError ?? '', /missing/);
    } finally {
      await wiped.node.stop();
    }
  });
});
