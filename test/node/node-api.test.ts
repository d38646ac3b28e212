import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SynodError } from '../../src/api/types.ts';
import { SynodNode } from '../../src/node/synod-node.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function startNode(dir?: string): Promise<{ node: SynodNode; dir: string }> {
  const dataDir = dir ?? (await mkdtemp(join(tmpdir(), 'synod-node-')));
  if (dir === undefined) dirs.push(dataDir);
  const node = await SynodNode.start({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
  return { node, dir: dataDir };
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
        /an invite starts with "synod1:"/,
      );
      await assert.rejects(
        node.joinGroup({ invite: 'synod1:AAAA', displayName: 'Ann' }),
        /invite is damaged/,
      );
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

  it('a node is in one group: a second create or join is refused; a bad address is refused', async () => {
    const { node } = await startNode();
    try {
      await node.createGroup({ groupName: 'Book club', displayName: 'Ann' });
      await assert.rejects(
        node.createGroup({ groupName: 'Other', displayName: 'Ann' }),
        code('already-in-group'),
      );
      await assert.rejects(node.addPeer({ address: '/ip4/10.0.0.1/tcp/4001' }), /not a full address/);
      await assert.rejects(node.addPeer({ address: 'not an address' }), code('invalid-input'));
    } finally {
      await node.stop();
    }
  });

  it('a peer added by address is remembered across restarts', async () => {
    const { node, dir } = await startNode();
    const address = '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
    await node.createGroup({ groupName: 'G', displayName: 'Ann' });
    await node.addPeer({ address }); // nobody listens there: kept, and retried later
    await node.stop();
    const again = await startNode(dir);
    try {
      const saved = JSON.parse(await readFile(join(dir, 'group.json'), 'utf8')) as { staticPeers: string[] };
      assert.deepEqual(saved.staticPeers, [address]);
      assert.equal((await again.node.status()).group?.name, 'G');
    } finally {
      await again.node.stop();
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
