import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SynodError } from '../../src/api/types.ts';
import { NEW_MEMBER_MS } from '../../src/node/questions/question-voters.ts';
import { DaemonGroup, sleep, waitFor, type DaemonProcess } from '../helpers/daemons.ts';
import { HostileMember } from '../helpers/hostile-member.ts';

const IDENTITIES = 20;

/**
 * In a group that keeps no group log (made by an older Synod, or with --no-group-log), where a valid
 * hello makes a member: one person with many keys against a group that has been together for a
 * while. The keys join (each says a valid hello), and the next question is asked. Seats go to the members known longest, and new
 * ones never hold a majority; with the members known before away, the asker decides alone (and is
 * asked to confirm) rather than with the newcomers.
 */
describe('many identities of one person', () => {
  let group: DaemonGroup;
  let n1: DaemonProcess;
  let honest: string[];
  const identities: HostileMember[] = [];

  before(async () => {
    group = await DaemonGroup.start(3, { extraArgs: (i) => (i === 0 ? ['--no-group-log'] : []) });
    n1 = group.daemons[0] as DaemonProcess;
    honest = await Promise.all(group.daemons.map(async (d) => (await d.client.status()).peerId));
    // The group has been together for two days, as Alice's laptop remembers it.
    await n1.stop();
    const file = join(n1.dataDir, 'members.json');
    const members = JSON.parse(await readFile(file, 'utf8')) as { firstSeen: number | null }[];
    for (const m of members) m.firstSeen = Date.now() - 2 * NEW_MEMBER_MS;
    await writeFile(file, JSON.stringify(members));
    await n1.start();
    await group.waitForMesh();
    const address = (await n1.client.status()).addresses[0] ?? '';
    for (let i = 0; i < IDENTITIES; i++) {
      const identity = await HostileMember.of(n1.dataDir);
      identities.push(identity);
      await identity.connect(address, `Mallory ${i}`);
      // The door takes 5 new connections a second from one address (DOOR in src/net/host.ts).
      await sleep(250);
    }
    await waitFor(
      async () => (await n1.client.peers()).filter((p) => p.online).length === 2 + IDENTITIES,
      20_000,
      'every identity to be a member online',
    );
  });
  after(async () => {
    await Promise.all(identities.map((i) => i.stop()));
    await group?.stop();
  });

  it(`${IDENTITIES} identities that joined a moment ago hold fewer seats than the members from before`, async () => {
    const q = await n1.client.createQuestion({ title: 'Who keeps the key?', options: ['Alice', 'Bob'] });
    const seats = q.acceptors.map((a) => a.peerId);
    const minted = seats.filter((s) => !honest.includes(s));
    console.log(`acceptors: ${seats.length}, of them ${minted.length} of the ${IDENTITIES} new identities`);
    for (const id of honest) assert.ok(seats.includes(id), 'every member from before has a seat');
    assert.ok(minted.length < seats.length / 2, `${minted.length} of ${seats.length} seats`);
    // Control: in peer-id order (how seats went before), these keys would have held the question.
    const byId = [...honest.slice(1), ...identities.map((i) => i.peerId)].sort().slice(0, 6);
    const mintedById = byId.filter((s) => !honest.includes(s)).length;
    assert.ok(mintedById >= 4, `peer-id order: ${mintedById} of 7 seats`);
  });

  it('with the members from before away, the identities take no seat: the asker is asked to decide alone', async () => {
    for (const d of group.daemons.slice(1)) await d.stop();
    await waitFor(
      async () => (await n1.client.peers()).filter((p) => p.online).length === IDENTITIES,
      20_000,
      'Bob and Carol to be away',
    );
    await assert.rejects(
      n1.client.createQuestion({ title: 'Who keeps the money?', options: ['Alice', 'Mallory'] }),
      (error: unknown) =>
        error instanceof SynodError &&
        error.code === 'needs-confirmation' &&
        /joined in the last day/.test(error.message),
    );
    const alone = await n1.client.createQuestion({
      title: 'Who keeps the money?',
      options: ['Alice', 'Mallory'],
      confirmAlone: true,
    });
    assert.deepEqual(
      alone.acceptors.map((a) => a.peerId),
      [honest[0]],
    );
  });
});
