/**
 * Real mDNS discovery between three nodes in three network namespaces joined by a bridge: no static
 * peers, no loopback shortcut. Root only; without root it says why and is skipped.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PeerView, QuestionView } from '../../src/api/types.ts';
import { decodeAnyInvite, encodeGroupInvite, isGroupInvite } from '../../src/model/invite.ts';
import { sleep } from '../helpers/daemons.ts';
import { TestNetwork } from '../helpers/netns.ts';

const BIN = new URL('../../bin/synod.js', import.meta.url).pathname;
const unavailable = TestNetwork.unavailable();
if (unavailable !== null) console.log(`SKIPPED the namespace mDNS test: ${unavailable}`);

describe('mDNS discovery across network namespaces', { skip: unavailable ?? false }, () => {
  const net = new TestNetwork(3);
  let base = '';
  const daemons: ChildProcess[] = [];
  const dataDir = (i: number) => join(base, `n${i}`);
  const cli = <T>(i: number, ...args: string[]): T =>
    JSON.parse(net.runIn(i, process.execPath, [BIN, ...args, '--data-dir', dataDir(i), '--json'])) as T;

  const until = async <T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const value = probe();
        if (value !== undefined) return value;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(250);
    }
  };
  const onlinePeers = (i: number) => cli<PeerView[]>(i, 'peers').filter((p) => p.online).length;
  const outcome = (i: number, id: string) =>
    cli<QuestionView[]>(i, 'questions').find((q) => q.id === id)?.outcome?.option;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'synod-netns-'));
    net.setup();
    for (let i = 1; i <= 3; i++) {
      const child = net.spawnIn(i, process.execPath, [
        BIN,
        'daemon',
        '--data-dir',
        dataDir(i),
        '--listen',
        '/ip4/0.0.0.0/tcp/0',
      ]);
      daemons.push(child);
      await until(`node ${i} to start`, 20_000, () => cli<{ peerId: string }>(i, 'status').peerId);
    }
  });

  after(async () => {
    for (const child of daemons) child.kill('SIGKILL');
    net.teardown();
    await rm(base, { recursive: true, force: true });
  });

  it('three nodes find each other by mDNS alone and decide; a cut-off node catches up after the link returns', async () => {
    cli(1, 'create-group', 'lan party', '--name', 'n1');
    // The invite normally carries the inviter's addresses; drop them so that only mDNS can connect.
    const invite = decodeAnyInvite(cli<{ invite: string }>(1, 'invite').invite);
    assert.ok(isGroupInvite(invite), 'a group made today keeps a group log');
    const withoutAddresses = encodeGroupInvite({ ...invite, addresses: [] });
    cli(2, 'join', withoutAddresses, '--name', 'n2');
    cli(3, 'join', withoutAddresses, '--name', 'n3');
    for (const i of [1, 2, 3])
      await until(`node ${i} to see two peers`, 30_000, () => (onlinePeers(i) === 2 ? true : undefined));

    const q1 = cli<QuestionView>(1, 'ask', 'Which game?', '--option', 'chess', '--option', 'go');
    assert.equal(q1.acceptors.length, 3);
    await until('node 2 to know the question', 10_000, () =>
      cli<QuestionView[]>(2, 'questions').length > 0 ? true : undefined,
    );
    cli(2, 'propose', q1.id, 'go');
    for (const i of [1, 2, 3])
      assert.equal(await until(`node ${i} to learn`, 10_000, () => outcome(i, q1.id)), 'go');

    // Node 3's link is cut: the other two still form a majority of every question's acceptors.
    net.cut(3);
    await until('node 1 to notice node 3 is gone', 45_000, () => (onlinePeers(1) === 1 ? true : undefined));
    const q2 = cli<QuestionView>(1, 'ask', 'Snacks?', '--option', 'chips', '--option', 'fruit');
    cli(1, 'propose', q2.id, 'fruit');
    assert.equal(await until('node 2 to learn', 10_000, () => outcome(2, q2.id)), 'fruit');
    assert.equal(outcome(3, q2.id), undefined, 'node 3 cannot know yet');

    net.restore(3);
    assert.equal(await until('node 3 to catch up', 60_000, () => outcome(3, q2.id)), 'fruit');
  });
});
