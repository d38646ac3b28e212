import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeWire, encodeWire, type WireMessage } from '../../src/net/wire.ts';

const peer = '12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
const decision = 'a'.repeat(32);
const ballot = { round: 3, node: peer };
const signature = 'A'.repeat(86);
const certificate = {
  ballot,
  accepted: [{ acceptor: peer, signature }],
  promises: [{ acceptor: peer, accepted: null, signature }],
};

const alice = {
  peerId: peer,
  name: 'Alice',
  addresses: [`/ip4/10.0.0.1/tcp/4001/p2p/${peer}`],
  seq: 1,
  signature,
};

const whenQuestion = {
  id: decision,
  title: 'When?',
  options: ['Mon'],
  allowOther: false,
  createdBy: peer,
  createdAt: 1,
  acceptors: [peer],
  learners: [],
  rule: 'quick' as const,
  deadline: null,
  signature,
};

describe('wire format', () => {
  it('round-trips every message type', () => {
    const messages: WireMessage[] = [
      { type: 'hello', group: '0123456789abcdef', member: alice },
      { type: 'members', members: [alice] },
      {
        type: 'question',
        question: whenQuestion,
        outcome: { value: 'v', certificate },
      },
      { type: 'question-request', id: decision },
      { type: 'paxos', message: { kind: 'prepare', decision, ballot } },
      {
        type: 'paxos',
        message: { kind: 'promise', decision, ballot, accepted: { ballot, value: 'v' }, signature },
      },
      { type: 'paxos', message: { kind: 'accept', decision, ballot, value: 'v', promises: [] } },
      { type: 'paxos', message: { kind: 'accepted', decision, ballot, value: 'v', signature } },
      { type: 'paxos', message: { kind: 'nack', decision, ballot, promised: ballot } },
      { type: 'paxos', message: { kind: 'decided', decision, value: 'v', certificate } },
      { type: 'paxos', message: { kind: 'query', decision } },
    ];
    for (const message of messages) assert.deepEqual(decodeWire(encodeWire(message)), { ok: true, message });
  });

  it('rejects what is not a valid message, saying why', () => {
    const bad = (value: unknown) =>
      decodeWire(new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
    assert.deepEqual(bad('{nope'), { ok: false, error: 'message is not JSON' });
    assert.equal(bad({ type: 'unknown' }).ok, false);
    // Rounds are whole numbers from 0 (the asker's first ballot; the core refuses a Prepare of it).
    for (const round of [-1, 1.5])
      assert.equal(
        bad({ type: 'paxos', message: { kind: 'prepare', decision, ballot: { round, node: peer } } }).ok,
        false,
      );
    assert.equal(bad({ type: 'paxos', message: { kind: 'prepare', decision: '../etc', ballot } }).ok, false);
    assert.equal(bad({ type: 'hello', group: 'g', member: { ...alice, name: '' } }).ok, false);
    assert.equal(bad({ type: 'hello', group: 'g', member: { ...alice, signature: undefined } }).ok, false);
    // Votes without a signature, or with something else in its place, are not messages at all.
    assert.equal(
      bad({ type: 'paxos', message: { kind: 'accepted', decision, ballot, value: 'v' } }).ok,
      false,
    );
    assert.equal(
      bad({ type: 'paxos', message: { kind: 'accepted', decision, ballot, value: 'v', signature: 'x' } }).ok,
      false,
    );
    assert.equal(bad({ type: 'paxos', message: { kind: 'decided', decision, value: 'v' } }).ok, false);
    const tooMany = { ...certificate, accepted: Array.from({ length: 16 }, () => certificate.accepted[0]) };
    assert.equal(
      bad({ type: 'paxos', message: { kind: 'decided', decision, value: 'v', certificate: tooMany } }).ok,
      false,
      'a certificate with more signatures than a question has acceptors',
    );
    const many = Array.from(
      { length: 16 },
      (_, i) => `${peer.slice(0, -2)}${String.fromCharCode(65 + i)}${'z'}`,
    );
    const question = {
      id: decision,
      title: 't',
      options: [],
      createdBy: peer,
      createdAt: 1,
      acceptors: many,
      learners: [],
    };
    assert.equal(bad({ type: 'question', question, outcome: null }).ok, false, 'more than 15 acceptors');
  });

  it('refuses to encode or decode a message over 64 KiB', () => {
    const huge: WireMessage = {
      type: 'paxos',
      message: { kind: 'decided', decision, value: 'x'.repeat(70_000), certificate },
    };
    assert.throws(() => encodeWire(huge), /over the limit/);
    assert.match((decodeWire(new Uint8Array(70 * 1024)) as { error: string }).error, /over the limit/);
  });

  it('checks text as the API does: a hello with a name that reverses text, a question with a control character, refused', () => {
    const accepted = (message: unknown) => decodeWire(new TextEncoder().encode(JSON.stringify(message))).ok;
    const hello = { type: 'hello', group: '0123456789abcdef', member: { ...alice, name: '\u202e1n' } };
    assert.equal(accepted(hello), false, 'U+202E in a name');
    const question = {
      type: 'question',
      question: { ...whenQuestion, options: ['Mon', 'Tue\u009b'] },
      outcome: null,
    };
    assert.equal(accepted(question), false, 'U+009B in an option');
    assert.equal(
      accepted({ ...question, question: { ...question.question, options: ['Mon', 'Tue'] } }),
      true,
    );
    assert.equal(accepted({ ...hello, member: alice }), true);
  });

  it('a message over 64 KiB is refused unless it really is a vote set (the last "type" in JSON wins)', () => {
    const padding = 'x'.repeat(70 * 1024);
    const disguised = `{"type":"vote-set","type":"question-request","id":"${decision}","pad":"${padding}"}`;
    const decoded = decodeWire(new TextEncoder().encode(disguised));
    assert.equal(decoded.ok, false);
    assert.match(
      (decoded as { error: string }).error,
      /question-request message of \d+ bytes is over the limit/,
    );
  });

  it('carries the group log: its slots as Paxos decisions, a change as their value, and a newcomer’s join', () => {
    const accepted = (message: unknown) => decodeWire(new TextEncoder().encode(JSON.stringify(message))).ok;
    const slot = 'group:12';
    const change = {
      type: 'join',
      by: peer,
      epoch: 3,
      name: 'Carol',
      invite: '0123456789abcdef',
      inviteSignature: signature,
      signature,
    };
    const value = `group1:${JSON.stringify({ slot: 12, at: 1, change })}`;
    const messages: WireMessage[] = [
      { type: 'paxos', message: { kind: 'accept', decision: slot, ballot, value, promises: [] } },
      { type: 'paxos', message: { kind: 'decided', decision: slot, value, certificate } },
      { type: 'group-join', change: change as Extract<WireMessage, { type: 'group-join' }>['change'] },
    ];
    for (const message of messages) assert.deepEqual(decodeWire(encodeWire(message)), { ok: true, message });
    // A change of the group can be long (a removal's approvals); a question's value cannot.
    const long = 'group1:' + 'x'.repeat(20_000);
    assert.equal(
      accepted({
        type: 'paxos',
        message: { kind: 'accept', decision: slot, ballot, value: long, promises: [] },
      }),
      true,
    );
    assert.equal(
      accepted({
        type: 'paxos',
        message: { kind: 'accept', decision, ballot, value: 'x'.repeat(20_000), promises: [] },
      }),
      false,
    );
    for (const bad of ['group:', 'group:01', 'group:-1', 'group:1x', 'groups:1'])
      assert.equal(accepted({ type: 'paxos', message: { kind: 'query', decision: bad } }), false, bad);
    assert.equal(
      accepted({ type: 'group-join', change: { ...change, type: 'leave' } }),
      false,
      'only a join',
    );
  });
});
