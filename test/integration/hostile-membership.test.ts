import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MemberAnnouncement } from '../../src/net/wire.ts';
import { HELLO_TIMEOUT_MS } from '../../src/node/members/member-sessions.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import {
  DaemonGroup,
  decidedOption,
  epochOf,
  question,
  sleep,
  waitFor,
  type DaemonProcess,
} from '../helpers/daemons.ts';
import { HostileMember } from '../helpers/hostile-member.ts';

/**
 * A member with the group key who attacks the membership and the members' resources. Each attack
 * worked before members were signed and limited; each test checks that the group is unharmed.
 */
describe('a member who attacks the group', () => {
  let group: DaemonGroup;
  let n1: DaemonProcess;
  let mallory: HostileMember;
  let ids: string[];

  before(async () => {
    group = await DaemonGroup.start(3);
    n1 = group.daemons[0] as DaemonProcess;
    ids = await Promise.all(group.daemons.map(async (d) => (await d.client.status()).peerId));
    mallory = await HostileMember.invited((await n1.client.invite()).invite);
    for (const d of group.daemons) await mallory.connect((await d.client.status()).addresses[0] ?? '');
    await waitFor(
      async () => (await n1.client.peers()).some((p) => p.peerId === mallory.peerId && p.online),
      10_000,
      'Mallory to be a member',
    );
  });
  after(async () => {
    await mallory?.stop();
    await group?.stop();
  });

  const rejected = async (d: DaemonProcess) => (await d.client.status()).rejectedMessages;

  it('a connection with the key that says no hello is never a member, learns nothing, and is hung up on', async () => {
    const silent = await HostileMember.of(n1.dataDir);
    try {
      const peer = await silent.connectSilently((await n1.client.status()).addresses[0] ?? '');
      await sleep(1_000);
      assert.ok(!(await n1.client.peers()).some((p) => p.peerId === silent.peerId), 'not listed');
      // It heard the node's hello, and nothing else: no members, no catalog, no question.
      assert.deepEqual([...new Set(silent.received.map((r) => r.message.type))], ['hello']);
      const t = Date.now();
      await waitFor(() => !silent.isConnected(peer), HELLO_TIMEOUT_MS + 5_000, 'the node to hang up');
      console.log(`a silent connection was closed after ${((Date.now() - t + 1_000) / 1_000).toFixed(1)} s`);
      assert.ok(!(await n1.client.peers()).some((p) => p.peerId === silent.peerId));
    } finally {
      await silent.stop();
    }
  });

  it('300 invented members passed on by Mallory are never members, and the group still decides', async () => {
    let dials = 0;
    // Where the invented members "listen": a plain TCP server that counts the dials it gets.
    const trap: Server = createServer((socket) => {
      dials++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const port = (trap.address() as { port: number }).port;
    try {
      const invented: MemberAnnouncement[] = [];
      for (let i = 0; i < 300; i++) {
        const key = await generateKeyPair('Ed25519');
        const peerId = peerIdFromPrivateKey(key).toString();
        const fields = {
          peerId,
          name: `Invented ${i}`,
          addresses: [`/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`],
          seq: 1,
        };
        invented.push({
          ...fields,
          signature: new Signing(mallory.group.id, key).sign({ kind: 'member', ...fields }),
        });
      }
      // And records that point elsewhere than TCP, or are not signed by their member.
      const unsigned = { ...(invented[0] as MemberAnnouncement), name: 'Changed by Mallory', seq: 2 };
      const fields = {
        peerId: mallory.peerId,
        name: 'Mallory',
        addresses: [`/dns4/evil.example/tcp/80/p2p/${mallory.peerId}`],
        seq: 5,
      };
      const dns = { ...fields, signature: mallory.signing.sign({ kind: 'member', ...fields }) };
      const before = await rejected(n1);
      for (let at = 0; at < invented.length; at += 100) {
        for (const id of ids) mallory.send(id, { type: 'members', members: invented.slice(at, at + 100) });
      }
      // (The forged one last: a forged record ends the message, and what follows it is not checked.)
      for (const id of ids) mallory.send(id, { type: 'members', members: [dns, unsigned] });
      await waitFor(async () => (await rejected(n1)) - before >= 2, 10_000, 'the bad records to be refused');
      await sleep(5_000);
      for (const d of group.daemons) {
        const peers = await d.client.peers();
        assert.ok(
          !peers.some((p) => p.name.startsWith('Invented') || p.name.startsWith('Changed')),
          `${d.name}`,
        );
        assert.equal(peers.length, 3, `${d.name} knows its 2 peers and Mallory`);
      }
      console.log(`dials to the invented members' address in 5 s, by 3 nodes: ${dials}`);
      assert.ok(dials <= 3 * 64 * 2, `${dials} dials: every node dials at most its 64 hints, with backoff`);
      const q = await n1.client.createQuestion({ title: 'Still deciding?', options: ['Yes', 'No'] });
      await n1.client.propose({ questionId: q.id, option: 'Yes' });
      for (const d of group.daemons) assert.equal(await decidedOption(d.client, q.id), 'Yes');
    } finally {
      trap.close();
    }
  });

  it('a flood of questions from one member is capped at 20 a minute and 1,000 in all, on every node', async () => {
    const sizeBefore = (await stat(join(n1.dataDir, 'questions.log'))).size;
    const maximal = {
      title: 'T'.repeat(200),
      options: Array.from({ length: 20 }, (_, i) => `${i} ${'o'.repeat(190)}`),
      allowOther: false,
      createdBy: mallory.peerId,
      acceptors: ids,
      learners: [],
      rule: 'quick' as const,
      deadline: null,
      ...(await epochOf(n1)),
    };
    const now = Date.now();
    // 30 dated now, and 1,100 dated one every 4 s in the past (within the limit of 20 a minute).
    const dates = [
      ...Array.from({ length: 30 }, () => now),
      ...Array.from({ length: 1_100 }, (_, i) => now - 120_000 - i * 4_000),
    ];
    for (const createdAt of dates) {
      const question = mallory.checks.signDefinition({
        ...maximal,
        id: randomBytes(16).toString('hex'),
        createdAt,
      });
      for (const id of ids) mallory.send(id, { type: 'question', question, outcome: null });
    }
    const hers = async (d: DaemonProcess) =>
      (await d.client.questions()).filter((q) => q.createdBy === mallory.peerId);
    await waitFor(async () => (await hers(n1)).length >= 1_000, 60_000, 'the flood to be taken in');
    await sleep(1_000);
    for (const d of group.daemons) {
      const kept = await hers(d);
      assert.equal(kept.length, 1_000, `${d.name} keeps 1,000 of her questions`);
      assert.equal(kept.filter((q) => q.createdAt === now).length, 20, `${d.name}: 20 in one minute`);
    }
    const grown = (await stat(join(n1.dataDir, 'questions.log'))).size - sizeBefore;
    console.log(
      `1,130 maximal questions sent, 1,000 kept: questions.log grew by ${(grown / 1e6).toFixed(1)} MB`,
    );
    // The node is not kept busy by them: a question of an honest member is decided at once.
    const q = await n1.client.createQuestion({ title: 'After the flood', options: [] });
    const n2 = group.daemons[1];
    assert.ok(n2);
    await waitFor(async () => (await question(n2.client, q.id)) !== undefined, 10_000, 'n2 to know it');
    await n2.client.propose({ questionId: q.id, option: 'fine' });
    assert.equal(await decidedOption(n1.client, q.id), 'fine');
    // And n1 refuses to ask more of its own than the same limits allow.
  });

  it('a member opens at most 4 streams at once, and a message flood is dropped, not queued', async () => {
    const streams = await mallory.openStreams(ids[0] as string, 12);
    await sleep(500);
    console.log(`streams opened at once: ${streams.opened}, still open after 0.5 s: ${streams.stillOpen()}`);
    assert.ok(streams.stillOpen() <= 4, `${streams.stillOpen()} streams open`);
    const before = await rejected(n1);
    for (let i = 0; i < 30_000; i++)
      mallory.send(ids[0] as string, { type: 'question-request', id: 'f'.repeat(32) });
    await waitFor(async () => (await rejected(n1)) > before, 20_000, 'the flood to be noticed');
    const t = performance.now();
    await n1.client.status();
    console.log(`status during the flood: ${(performance.now() - t).toFixed(1)} ms`);
  });
});
