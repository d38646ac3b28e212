import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { Certificate } from '../../src/paxos/index.ts';
import { CorruptStateError, StateLog, StorageWriteError } from '../../src/storage/index.ts';
import { FILES } from '../../src/node/durable/data-dir.ts';
import { createGenesis } from '../../src/node/group/group-signing.ts';
import { GroupStore } from '../../src/node/group/group-store.ts';
import type { CertifiedSlot } from '../../src/node/group/slot-checks.ts';
import { admit, DIR, newGroup, person, T0 } from '../helpers/group-writer.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';

describe('the group log on disk', () => {
  it('keeps the genesis and each certified slot: reopened (after a crash too), it holds the same epochs', async () => {
    const fs = new MemoryFs();
    const { alice, store, writer, signing } = await newGroup(fs);
    const [bob, carol] = [await person(), await person()];
    await admit(writer, store, alice, bob);
    await admit(writer, store, bob, carol);
    const rename = writer.certify(
      writer.value(carol, { type: 'rename', by: carol.id, epoch: writer.epoch.n, name: 'Chess & Go club' }),
    );
    const learned = await store.learn([rename]);
    assert.deepEqual(
      learned.epochs.map((e) => e.n),
      [5],
    );
    assert.equal(store.head.name, 'Chess & Go club');
    assert.deepEqual(
      store.head.members.map((m) => m.peerId),
      [alice.id, bob.id, carol.id],
    );
    assert.equal(store.slotsFrom(0).length, 5);
    assert.equal(store.slotsFrom(3).length, 2, 'a member at epoch 3 is handed slots 3 and 4');
    const reopened = await GroupStore.open(DIR, signing, fs.crashed());
    assert.ok(reopened !== null);
    assert.deepEqual(reopened.head, store.head);
    assert.equal(reopened.epoch(2)?.members.length, 2);
  });

  it('a member without a log has none (null), and a new group cannot be started over an old log', async () => {
    const fs = new MemoryFs();
    const alice = await person();
    const { genesis, signing } = createGenesis(alice.key, 'Chess club', 'Alice', T0);
    assert.equal(await GroupStore.open(DIR, signing, fs), null);
    await GroupStore.create(DIR, genesis, signing, fs);
    await assert.rejects(GroupStore.create(DIR, genesis, signing, fs), /holds a group log already/);
  });

  it('an epoch counts only once its slot is on disk: a crash during the write leaves the head where it was', async () => {
    const fs = new MemoryFs();
    const { alice, store, writer, signing } = await newGroup(fs);
    const slot = writer.certify(
      writer.value(alice, { type: 'rename', by: alice.id, epoch: 0, name: 'Renamed' }),
    );
    // The machine stops during the write's fsync.
    fs.options = { crashAt: fs.operationCount + 1 };
    await assert.rejects(store.learn([slot]), StorageWriteError);
    assert.equal(store.head.n, 0, 'the head did not move');
    assert.equal(store.head.name, 'Chess club');
    const after = await GroupStore.open(DIR, signing, fs.crashed());
    assert.equal(after?.head.n, 0);
  });

  it('slots are taken in order; one beyond a gap waits for the slots before it', async () => {
    const fs = new MemoryFs();
    const { alice, store, writer } = await newGroup(fs);
    const zero = writer.certify(writer.value(alice, { type: 'rename', by: alice.id, epoch: 0, name: 'One' }));
    writer.epoch = { ...writer.epoch, n: 1, name: 'One', at: writer.at };
    const one = writer.certify(writer.value(alice, { type: 'rename', by: alice.id, epoch: 1, name: 'Two' }));
    let learned = await store.learn([one]);
    assert.equal(learned.ahead, 1);
    assert.equal(store.head.n, 0);
    learned = await store.learn([one, zero]);
    assert.deepEqual(
      learned.epochs.map((e) => e.name),
      ['One', 'Two'],
    );
    assert.deepEqual(learned.problems, []);
  });

  it('refuses slots that the epoch they follow did not choose, and changes nothing', async () => {
    const fs = new MemoryFs();
    const { alice, store, writer } = await newGroup(fs);
    const [bob, carol, mallory] = [await person(), await person(), await person()];
    await admit(writer, store, alice, bob);
    await admit(writer, store, alice, carol);
    const before = store.head;
    const rename = () =>
      writer.value(bob, { type: 'rename', by: bob.id, epoch: writer.epoch.n, name: 'Taken over' });
    const cases: [string, CertifiedSlot, RegExp][] = [
      // Three acceptors: two are needed.
      ['one acceptor of three', writer.certify(rename(), [bob]), /1 acceptors where 2 are needed/],
      ['a stranger among the signers', writer.certify(rename(), [bob, mallory]), /no acceptor/],
      [
        'an Accepted signed for another value',
        (() => {
          const good = writer.certify(rename());
          const other = writer.certify(rename());
          return { value: good.value, certificate: other.certificate };
        })(),
        /not .*'s/,
      ],
      [
        'a change by someone who is not a member, certified by every acceptor',
        writer.certify(
          writer.value(mallory, { type: 'rename', by: mallory.id, epoch: writer.epoch.n, name: 'Mine' }),
        ),
        /not a member/,
      ],
      [
        'a slot for another epoch',
        writer.certify({ ...rename(), slot: writer.epoch.n + 0 }, undefined, 'group1:{"slot":1}'),
        /not one|not a change/,
      ],
    ];
    for (const [what, slot, reason] of cases) {
      const learned = await store.learn([slot]);
      assert.equal(learned.epochs.length, 0, what);
      assert.match(learned.problems.join('; '), reason, what);
      assert.deepEqual(store.head, before, `${what}: nothing changed`);
    }
    // The control: the same rename, certified by two of the three acceptors, is taken.
    const learned = await store.learn([writer.certify(rename(), [bob, carol])]);
    assert.deepEqual(learned.problems, []);
    assert.equal(store.head.name, 'Taken over');
  });

  it("a slot is certified by the acceptors of the epoch it follows, not another's: a member that left signs no more", async () => {
    const fs = new MemoryFs();
    const { alice, store, writer } = await newGroup(fs);
    const [bob, carol] = [await person(), await person()];
    await admit(writer, store, alice, bob);
    await admit(writer, store, alice, carol);
    const leave = writer.certify(writer.value(carol, { type: 'leave', by: carol.id, epoch: writer.epoch.n }));
    assert.deepEqual((await store.learn([leave])).problems, []);
    writer.epoch = store.head;
    const rename = writer.value(alice, {
      type: 'rename',
      by: alice.id,
      epoch: writer.epoch.n,
      name: 'After',
    });
    // Carol held a seat in the epoch before; in this one, Alice and Bob are the acceptors.
    const stale = await store.learn([writer.certify(rename, [alice, carol])]);
    assert.match(stale.problems.join(';'), /no acceptor/);
    assert.equal(store.head.name, 'Chess club');
    assert.deepEqual((await store.learn([writer.certify(rename, [alice, bob])])).problems, []);
  });

  it('another value certified for a slot this member holds is reported, never taken', async () => {
    const fs = new MemoryFs();
    const { alice, store, writer } = await newGroup(fs);
    const zero = writer.certify(writer.value(alice, { type: 'rename', by: alice.id, epoch: 0, name: 'One' }));
    await store.learn([zero]);
    writer.epoch = { ...writer.epoch, n: 0 };
    const rival = writer.certify(
      writer.value(alice, { type: 'rename', by: alice.id, epoch: 0, name: 'Rival' }),
    );
    const learned = await store.learn([rival]);
    assert.match(learned.problems.join(';'), /slot 0 certified with another value/);
    assert.equal(store.head.name, 'One');
  });

  it('a log whose slot does not check on disk is refused on opening, naming the slot', async () => {
    const fs = new MemoryFs();
    const { alice, store, writer, signing } = await newGroup(fs);
    const zero = writer.certify(writer.value(alice, { type: 'rename', by: alice.id, epoch: 0, name: 'One' }));
    await store.learn([zero]);
    await store.close();
    // The record rewritten with a certificate that is not Alice's (as a damaged or edited disk would).
    const raw = await StateLog.open(DIR, {
      file: FILES.groupLog,
      schema: z.any(),
      create: false,
      what: 'test',
      fs,
    });
    const record = raw.records.get('slot:0') as { certificate: Certificate };
    const accepted = record.certificate.accepted.map((a) => ({ ...a, signature: 'A'.repeat(86) }));
    await raw.log.write([{ ...record, id: 'slot:0', certificate: { ...record.certificate, accepted } }]);
    await raw.log.close();
    await assert.rejects(GroupStore.open(DIR, signing, fs), (error: unknown) => {
      assert.ok(error instanceof CorruptStateError);
      assert.match(error.message, /slot 0/);
      return true;
    });
  });
});
