import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MemberAnnouncement, WireMessage } from '../../src/net/wire.ts';
import {
  CUT_OFF_MS,
  EARLY_MESSAGES_PER_PEER,
  FORGERIES_BEFORE_CUT_OFF,
  MemberSessions,
  type MemberMessage,
} from '../../src/node/members/member-sessions.ts';
import type { Membership } from '../../src/node/members/membership.ts';

const GROUP = '0123456789abcdef';
const record = (name: string) => ({ name }) as unknown as MemberAnnouncement;

/**
 * Sessions whose membership takes any hello but one named "bad"; a record's name changes "changed".
 * With `members`, only those are admitted (a group that keeps a group log); the others are applicants.
 */
function sessions(members?: Set<string>) {
  const names = new Map<string, string>();
  const membership = {
    check: (_from: string, announced: { name: string }) =>
      announced.name === 'bad' ? 'a forged record' : null,
    hello: (from: string, announced: { name: string }) => {
      if (announced.name === 'bad') return { problem: 'a forged record' };
      const changed = names.get(from) !== announced.name;
      names.set(from, announced.name);
      return { changed };
    },
  } as unknown as Membership;
  const sent: { to: string; message: WireMessage }[] = [];
  const handled: { from: string; message: MemberMessage }[] = [];
  const rejected: string[] = [];
  const greeted: string[] = [];
  const applicants: string[] = [];
  const s = new MemberSessions(membership, {
    ...(members === undefined
      ? {}
      : { admits: (peer: string) => members.has(peer), applicant: (peer: string) => applicants.push(peer) }),
    groupId: () => GROUP,
    ownRecord: () => record('me'),
    send: (to, message) => sent.push({ to, message }),
    hangUp: () => undefined,
    rejected: (_from, reason) => rejected.push(reason),
    greeted: (peer) => greeted.push(peer),
    message: (from, message) => handled.push({ from, message }),
  });
  return { s, sent, handled, rejected, greeted, applicants };
}

const catalog = (n: number): WireMessage => ({
  type: 'catalog',
  entries: [{ id: n.toString(16).padStart(32, '0'), outcome: null }],
  done: true,
});
const hello = (name: string): WireMessage => ({ type: 'hello', group: GROUP, member: record(name) });

describe('member sessions: messages that overtake a hello', () => {
  it('are kept, and handled in order once the hello is valid', () => {
    const { s, handled, rejected } = sessions();
    s.connected('p');
    s.receive('p', catalog(1), 100);
    s.receive('p', catalog(2), 100);
    assert.equal(handled.length, 0, 'nothing counts before the hello');
    s.receive('p', hello('Alice'));
    assert.deepEqual(
      handled.map((h) => h.message),
      [catalog(1), catalog(2)],
    );
    assert.deepEqual(rejected, []);
    s.receive('p', catalog(3), 100);
    assert.equal(handled.length, 3, 'after the hello, at once');
  });

  it('are bounded per connection, and dropped with a connection that never says a valid hello', () => {
    const { s, handled, rejected } = sessions();
    s.connected('p');
    for (let n = 0; n < EARLY_MESSAGES_PER_PEER + 10; n++) s.receive('p', catalog(n), 100);
    assert.equal(rejected.length, 1, 'one rejection for the overflow, not one per message');
    s.receive('p', hello('bad'));
    assert.equal(handled.length, 0, 'an invalid hello makes nothing count');
    s.disconnected('p');
    s.connected('p');
    s.receive('p', hello('Alice'));
    assert.equal(handled.length, 0, 'what the old connection sent is gone with it');
  });

  it('are bounded in bytes too', () => {
    const { s, handled, rejected } = sessions();
    s.connected('p');
    s.receive('p', catalog(1), 700 * 1024);
    s.receive('p', catalog(2), 700 * 1024);
    s.receive('p', hello('Alice'));
    assert.equal(handled.length, 1);
    assert.equal(rejected.length, 1);
  });
});

describe('member sessions: hellos', () => {
  it('a first or changed hello is answered with this node’s hello; an unchanged one is not', () => {
    const { s, sent, greeted } = sessions();
    s.connected('p');
    const hellos = () => sent.filter((m) => m.message.type === 'hello').length;
    assert.equal(hellos(), 1, 'said on connect');
    s.receive('p', hello('Alice'));
    assert.equal(hellos(), 2, 'said again in answer: the first may have been lost');
    s.receive('p', hello('Alice'));
    assert.equal(hellos(), 2, 'no answer to an answer: the exchange ends');
    s.receive('p', hello('Alice, restarted'));
    assert.equal(hellos(), 3, 'a peer that restarted unnoticed gets this node’s hello again');
    assert.deepEqual(greeted, ['p', 'p']);
  });
});

describe('member sessions: forged signatures', () => {
  it(`a member that sends ${FORGERIES_BEFORE_CUT_OFF} is hung up on, its messages dropped unread and its connections refused for ${CUT_OFF_MS / 60_000} minutes; one fewer is not`, () => {
    let now = 1_000;
    const hungUp: string[] = [];
    const handled: string[] = [];
    const membership = { hello: () => ({ changed: true }) } as unknown as Membership;
    const s = new MemberSessions(
      membership,
      {
        groupId: () => GROUP,
        ownRecord: () => record('me'),
        send: () => undefined,
        hangUp: (peer) => hungUp.push(peer),
        rejected: () => undefined,
        greeted: () => undefined,
        message: (from) => handled.push(from),
      },
      () => now,
    );
    for (const peer of ['liar', 'honest']) {
      s.connected(peer);
      s.receive(peer, hello(peer));
    }
    for (let n = 1; n < FORGERIES_BEFORE_CUT_OFF; n++) s.forged('honest');
    for (let n = 1; n <= FORGERIES_BEFORE_CUT_OFF; n++) s.forged('liar');
    assert.deepEqual(hungUp, ['liar'], 'control: a member one forgery short stays');
    assert.equal(s.cutOffPeers(), 1);
    assert.equal(s.forgeries, 2 * FORGERIES_BEFORE_CUT_OFF - 1);
    assert.equal(s.isMember('liar'), false);
    s.receive('liar', catalog(1));
    s.receive('honest', catalog(1));
    assert.deepEqual(handled, ['honest'], "the liar's messages are dropped unread");
    s.connected('liar');
    assert.deepEqual(hungUp, ['liar', 'liar'], 'a new connection is hung up at once');
    now += CUT_OFF_MS + 1;
    assert.equal(s.cutOffPeers(), 0);
    s.connected('liar');
    s.receive('liar', hello('liar'));
    s.receive('liar', catalog(2));
    assert.deepEqual(handled, ['honest', 'liar'], 'after the cut-off, a member again');
  });
});

describe('member sessions in a group that keeps a group log', () => {
  const join: WireMessage = {
    type: 'group-join',
    change: {
      type: 'join',
      by: 'p',
      epoch: 1,
      name: 'N',
      invite: '0'.repeat(16),
      inviteSignature: 's',
      signature: 's',
    },
  };
  const query: WireMessage = { type: 'paxos', message: { kind: 'query', decision: 'group:3' } };
  const questionQuery: WireMessage = { type: 'paxos', message: { kind: 'query', decision: 'a'.repeat(32) } };

  it('a peer that is no member of the newest epoch is answered, not greeted: only its join and the log count until it is admitted', () => {
    const members = new Set<string>();
    const { s, sent, handled, greeted, applicants, rejected } = sessions(members);
    s.connected('p');
    s.receive('p', catalog(1), 100);
    s.receive('p', hello('Newcomer'));
    assert.deepEqual(greeted, [], 'not a member');
    assert.deepEqual(s.members(), []);
    assert.deepEqual(applicants, ['p']);
    assert.deepEqual(s.applicants(), ['p']);
    const hellos = () => sent.filter((m) => m.to === 'p' && m.message.type === 'hello').length;
    // Once on connecting, once in answer (as to a member: the first may have been lost).
    assert.equal(hellos(), 2, 'its hello answered');
    s.receive('p', catalog(2), 100);
    s.receive('p', questionQuery);
    s.receive('p', join);
    s.receive('p', query);
    assert.deepEqual(
      handled.map((h) => h.message),
      [join, query],
      'only its join and the group log',
    );
    s.receive('p', hello('Newcomer'));
    assert.deepEqual(applicants, ['p'], 'a hello said again is no new applicant');
    assert.equal(hellos(), 2, 'nor answered again');
    assert.equal(
      sent.filter((m) => m.to === 'p' && m.message.type === 'hello').length,
      2,
      'nor answered again',
    );
    // The group chose its join.
    members.add('p');
    s.admit('p');
    assert.deepEqual(greeted, ['p']);
    assert.deepEqual(s.members(), ['p']);
    assert.deepEqual(
      handled.map((h) => h.message),
      [join, query, catalog(1), catalog(2), questionQuery],
      'what it sent meanwhile is handled once it is a member',
    );
    assert.deepEqual(rejected, []);
  });

  it('a forged hello from a peer that is no member is refused like any', () => {
    const { s, applicants, rejected } = sessions(new Set());
    s.connected('p');
    s.receive('p', hello('bad'));
    assert.deepEqual(applicants, []);
    assert.match(rejected.join(';'), /forged/);
  });

  it('without a group log, whoever says a valid hello is a member (as before)', () => {
    const { s, greeted } = sessions();
    s.connected('p');
    s.receive('p', hello('Alice'));
    assert.deepEqual(greeted, ['p']);
  });
});
