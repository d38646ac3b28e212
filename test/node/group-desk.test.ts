import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Genesis, GroupChange, UnsignedChange } from '../../src/model/group/changes.ts';
import { slotDecision, type Epoch } from '../../src/model/group/epoch.ts';
import { PaxosDriver } from '../../src/node/durable/paxos-driver.ts';
import { ChangeRefused, GroupDesk } from '../../src/node/group/group-desk.ts';
import {
  createGenesis,
  createInviteKey,
  inviteSignature,
  signChange,
} from '../../src/node/group/group-signing.ts';
import { GroupStore } from '../../src/node/group/group-store.ts';
import { Signing } from '../../src/node/identity/signing.ts';
import { DEFAULT_CORE_OPTIONS, SynodCore, type PaxosMessage } from '../../src/paxos/index.ts';
import { paxosStateOptions, StateLog } from '../../src/storage/index.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { DIR, person, type Person } from '../helpers/group-writer.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';

const OPTIONS = { ...DEFAULT_CORE_OPTIONS, recordOnOpen: false, phaseTimeoutMs: 200 };
const DAY = 24 * 60 * 60_000;

/** Members in one process, each with its own disk (in memory), core, driver, group store and desk. */
class Net {
  readonly members = new Map<string, Member>();
  readonly down = new Set<string>();
  /** Messages from someone who is not a member (Mallory's), refused by each receiver, with the reason. */
  readonly rejections: { at: string; from: string; reason: string }[] = [];
  /** Members whose removal every member holds approved by a majority (Removals.approvedAgainst). */
  readonly approvedRemovals = new Set<string>();

  deliver(from: string, to: string, message: PaxosMessage): void {
    if (this.down.has(from) || this.down.has(to)) return;
    setImmediate(() => {
      if (!this.down.has(to)) this.members.get(to)?.desk.receive(from, message);
    });
  }

  reachable(self: string): string[] {
    return [...this.members.keys()].filter((p) => p !== self && !this.down.has(p));
  }

  async stopAll(): Promise<void> {
    for (const m of this.members.values()) await m.stop();
  }
}

class Member {
  readonly person: Person;
  readonly fs: MemoryFs;
  readonly desk: GroupDesk;
  readonly driver: PaxosDriver;
  readonly store: GroupStore;
  readonly #log: StateLog<never>;
  readonly signing: Signing;

  private constructor(
    person: Person,
    fs: MemoryFs,
    desk: GroupDesk,
    driver: PaxosDriver,
    store: GroupStore,
    log: StateLog<never>,
    signing: Signing,
  ) {
    this.person = person;
    this.fs = fs;
    this.desk = desk;
    this.driver = driver;
    this.store = store;
    this.#log = log;
    this.signing = signing;
  }

  get id(): string {
    return this.person.id;
  }

  /** Starts a member from its disk, or from the genesis (a founder, or a newcomer holding an invite). */
  static async start(net: Net, who: Person, genesis: Genesis, fs = new MemoryFs()): Promise<Member> {
    const signing = new Signing(genesis.groupId, who.key);
    const opened = await StateLog.open(DIR, { ...paxosStateOptions(true), fs });
    const store =
      (await GroupStore.open(DIR, signing, fs)) ?? (await GroupStore.create(DIR, genesis, signing, fs));
    const core = SynodCore.recover(
      who.id,
      opened.records.values(),
      { now: Date.now(), random: Math.random },
      OPTIONS,
      (s) => signing.sign(s),
    );
    let desk: GroupDesk | null = null;
    const driver = new PaxosDriver(core, opened.log, {
      send: (to, message) => net.deliver(who.id, to, message),
      event: (event) => {
        if (event.kind === 'decided') void desk?.decided(event.decision);
      },
      failed: (error) => {
        throw error;
      },
    });
    desk = new GroupDesk({
      self: who.id,
      store,
      signing,
      log: silentLogger,
      input: (input) => driver.input(input),
      decision: (id) => driver.core.decision(id),
      send: (to, message) => net.deliver(who.id, to, message),
      connectedPeers: () => net.reachable(who.id),
      rejected: (from, reason) => net.rejections.push({ at: who.id, from, reason }),
      changed: () => undefined,
      removalApproved: (peer) => net.approvedRemovals.has(peer),
      now: () => Date.now(),
    });
    const member = new Member(who, fs, desk, driver, store, opened.log as StateLog<never>, signing);
    net.members.set(who.id, member);
    net.down.delete(who.id);
    await desk.start();
    for (const peer of net.reachable(who.id)) desk.connected(peer);
    return member;
  }

  sign(change: UnsignedChange): GroupChange {
    return signChange(this.signing, change) as GroupChange;
  }

  async stop(): Promise<void> {
    this.desk.stop();
    await this.driver.stop();
    await this.store.close();
    await this.#log.close();
  }
}

async function until(what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A founder, and a helper that admits a newcomer: an invite by `inviter`, the join proposed by it. */
async function founded(net: Net) {
  const alice = await person();
  const { genesis } = createGenesis(alice.key, 'Chess club', 'Alice', Date.now());
  const founder = await Member.start(net, alice, genesis);
  let count = 0;
  const admit = async (inviter: Member, newcomer: Person): Promise<Member> => {
    const { privateKey, key } = await createInviteKey();
    const invite = (++count).toString(16).padStart(16, '0');
    const invited = await inviter.desk.propose(
      inviter.sign({
        type: 'invite',
        by: inviter.id,
        epoch: inviter.desk.head.n,
        invite,
        key,
        expiresAt: Date.now() + DAY,
        singleUse: true,
      }),
    );
    const member = await Member.start(net, newcomer, genesis);
    const join = member.sign({
      type: 'join',
      by: newcomer.id,
      // The epoch the invite was made in: the invite's text says so; the newcomer holds no log yet.
      epoch: invited.n,
      name: 'Newcomer',
      invite,
      inviteSignature: inviteSignature(genesis.groupId, privateKey, invite, newcomer.id),
    });
    const joined = await inviter.desk.propose(join);
    for (const peer of net.reachable(member.id)) member.desk.connected(peer);
    await until(`${newcomer.id} to catch up`, () => member.desk.head.n >= joined.n);
    return member;
  };
  return { founder, genesis, admit };
}

const heads = (net: Net) =>
  [...net.members.values()].filter((m) => !net.down.has(m.id)).map((m) => m.desk.head);
const same = (epochs: Epoch[]) => epochs.every((e) => JSON.stringify(e) === JSON.stringify(epochs[0]));

describe('the group log in the node: slots decided by Paxos, learned with certificates', () => {
  let net = new Net();
  afterEach(async () => {
    await net.stopAll();
    net = new Net();
  });

  it('a founder invites, newcomers join through members, a member renames: every member holds the same epochs', async () => {
    const { founder, admit } = await founded(net);
    const bob = await admit(founder, await person());
    const carol = await admit(bob, await person());
    const renamed = await carol.desk.propose(
      carol.sign({ type: 'rename', by: carol.id, epoch: carol.desk.head.n, name: 'Chess & Go club' }),
    );
    assert.equal(renamed.n, 5, 'two invites, two joins, a rename');
    await until('every member to hold epoch 5', () => heads(net).every((e) => e.n === 5));
    assert.ok(same(heads(net)), 'one sequence of epochs');
    assert.deepEqual(
      founder.desk.head.members.map((m) => m.peerId),
      [founder.id, bob.id, carol.id],
    );
    // Each member's disk holds the log: reopened, the same head.
    const reopened = await GroupStore.open(DIR, bob.signing, bob.fs);
    assert.deepEqual(reopened?.head, bob.desk.head);
    await reopened?.close();
  });

  it('a member away for three epochs catches up from its disk and the others, and decides in the fourth', async () => {
    const { founder, admit, genesis } = await founded(net);
    const bob = await admit(founder, await person());
    const carol = await admit(founder, await person());
    await carol.stop();
    net.down.add(carol.id);
    for (const name of ['One', 'Two', 'Three'])
      await founder.desk.propose(
        founder.sign({ type: 'rename', by: founder.id, epoch: founder.desk.head.n, name }),
      );
    const away = founder.desk.head.n;
    assert.equal(carol.store.head.n, away - 3);
    const back = await Member.start(net, carol.person, genesis, carol.fs);
    await until('Carol to catch up', () => back.desk.head.n === away);
    assert.equal(back.desk.head.name, 'Three');
    const fourth = await back.desk.propose(
      back.sign({ type: 'rename', by: back.id, epoch: away, name: 'Four' }),
    );
    assert.equal(fourth.n, away + 1);
    await until('everyone to hold the fourth', () => heads(net).every((e) => e.name === 'Four'));
    assert.ok(same(heads(net)));
    assert.ok(bob.desk.head.n === away + 1);
  });

  it('two members inviting with one id: one is made, the other refused to its asker, and nothing is lost', async () => {
    const { founder, admit } = await founded(net);
    const bob = await admit(founder, await person());
    const { key } = await createInviteKey();
    const invite = 'feedfeedfeedfeed';
    const n = founder.desk.head.n;
    const asks = [founder, bob].map((m) =>
      m.desk.propose(
        m.sign({
          type: 'invite',
          by: m.id,
          epoch: n,
          invite,
          key,
          expiresAt: Date.now() + DAY,
          singleUse: true,
        }),
      ),
    );
    const results = await Promise.allSettled(asks);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one invite made');
    const refused = results.find((r) => r.status === 'rejected');
    assert.ok(refused?.status === 'rejected' && refused.reason instanceof ChangeRefused);
    assert.match(String(refused.reason.message), /taken/);
    await until('both to hold it', () => heads(net).every((e) => e.n === n + 1));
    assert.ok(same(heads(net)));
  });

  it('a member the group agreed to remove cannot duel its removal: its prepares and accepts are refused', async () => {
    const { founder, admit } = await founded(net);
    const bob = await admit(founder, await person());
    const slot = slotDecision(founder.desk.head.n);
    const promised = () => founder.driver.core.decision(slot)?.acceptor.promised?.round ?? null;
    // Control: Bob's prepare is taken while nobody has agreed to remove him.
    founder.desk.receive(bob.id, { kind: 'prepare', decision: slot, ballot: { round: 5, node: bob.id } });
    await until('the founder to promise round 5', () => promised() === 5);
    net.approvedRemovals.add(bob.id);
    founder.desk.receive(bob.id, { kind: 'prepare', decision: slot, ballot: { round: 9, node: bob.id } });
    founder.desk.receive(bob.id, {
      kind: 'accept',
      decision: slot,
      ballot: { round: 9, node: bob.id },
      value: 'x',
      promises: [],
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(promised(), 5, 'no promise to the ballot of a member agreed to be removed');
    assert.equal(
      net.rejections.filter((r) => r.from === bob.id && /agreed to remove/.test(r.reason)).length,
      2,
    );
  });

  it("someone who is not a member cannot prepare, accept or read the log (Mallory with the group's key)", async () => {
    const { founder, admit } = await founded(net);
    const bob = await admit(founder, await person());
    const mallory = await person();
    const slot = slotDecision(founder.desk.head.n);
    const ballot = { round: 99, node: mallory.id };
    founder.desk.receive(mallory.id, { kind: 'prepare', decision: slot, ballot });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(founder.driver.core.decision(slot)?.acceptor.promised ?? null, null, 'no promise made');
    assert.match(net.rejections.map((r) => r.reason).join(';'), /not a member/);
    // Her query about a decided slot is not answered; Bob's is.
    const answered: string[] = [];
    const deliver = net.deliver.bind(net);
    net.deliver = (from, to, message) => {
      if (message.kind === 'decided') answered.push(to);
      deliver(from, to, message);
    };
    founder.desk.receive(mallory.id, { kind: 'query', decision: slotDecision(0) });
    founder.desk.receive(bob.id, { kind: 'query', decision: slotDecision(0) });
    await until('an answer to Bob', () => answered.includes(bob.id));
    assert.ok(!answered.includes(mallory.id));
  });
});
