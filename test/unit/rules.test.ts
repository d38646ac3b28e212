import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bidAmountSchema,
  decodeClose,
  encodeClose,
  standingVotes,
  tally,
  voteSetDigest,
  type MemberVote,
} from '../../src/model/rules.ts';

const Q = 'a'.repeat(32);
const SIG = (n: number) => String(n).padStart(86, 'A');
const vote = (by: string, option: string, seq = 1, amount: number | null = null, sig = 0): MemberVote => ({
  question: Q,
  by,
  option,
  amount,
  seq,
  signature: SIG(sig),
});

describe('decision rules: the tally every node computes the same way', () => {
  it('a vote: most votes wins; each member counts once, with its newest vote', () => {
    const result = tally({ rule: 'vote', options: ['Dawn', 'Dusk', 'Noon'] }, [
      vote('alice', 'Dawn', 1),
      vote('alice', 'Dusk', 2), // Alice changed her mind
      vote('bob', 'Dusk'),
      vote('carol', 'Dawn'),
    ]);
    assert.equal(result.counted, 3);
    assert.deepEqual(result.winner, { option: 'Dusk', by: null, amount: null });
    assert.deepEqual(
      result.lines.map((l) => [l.option, l.score, l.members]),
      [
        ['Dusk', 2, ['alice', 'bob']],
        ['Dawn', 1, ['carol']],
        ['Noon', 0, []],
      ],
    );
  });

  it('a tied vote goes to the option listed first, then to other answers in code-point order', () => {
    const listed = tally({ rule: 'vote', options: ['Dusk', 'Dawn'] }, [vote('a', 'Dawn'), vote('b', 'Dusk')]);
    assert.equal(listed.winner?.option, 'Dusk');
    const others = tally({ rule: 'vote', options: [] }, [vote('a', 'Zebra'), vote('b', 'Apple')]);
    assert.equal(others.winner?.option, 'Apple');
    const mixed = tally({ rule: 'vote', options: ['Zebra'] }, [vote('a', 'Apple'), vote('b', 'Zebra')]);
    assert.equal(mixed.winner?.option, 'Zebra');
  });

  it('nothing cast, nothing won', () => {
    assert.equal(tally({ rule: 'vote', options: ['A'] }, []).winner, null);
    assert.equal(tally({ rule: 'sealed-bid', options: [] }, []).winner, null);
  });

  it('sealed bids: the highest wins although a lower one came first; equal bids go by lot of peer id', () => {
    const result = tally({ rule: 'sealed-bid', options: [] }, [
      vote('bob', 'Painting', 1, 50),
      vote('carol', 'Painting', 1, 120),
      vote('dave', 'Painting', 1, 80),
      vote('bob', 'Painting', 2, 100), // Bob raised his bid
    ]);
    assert.deepEqual(result.winner, { option: 'Painting', by: 'carol', amount: 120 });
    assert.deepEqual(result.lines[0]?.members, ['carol', 'bob', 'dave']);
    const tie = tally({ rule: 'sealed-bid', options: [] }, [
      vote('zed', 'X', 1, 10),
      vote('amy', 'X', 1, 10),
    ]);
    assert.equal(tie.winner?.by, 'amy');
  });

  it('a member that signed two votes with one number: every node keeps the same one', () => {
    const one = vote('alice', 'Dawn', 3, null, 1);
    const other = vote('alice', 'Dusk', 3, null, 2);
    assert.deepEqual(standingVotes([one, other]), [one]);
    assert.deepEqual(standingVotes([other, one]), [one]);
  });

  it('bids are positive amounts with at most two decimals', () => {
    assert.equal(bidAmountSchema.safeParse(12.5).success, true);
    assert.equal(bidAmountSchema.safeParse(12.55).success, true);
    for (const bad of [0, -1, 12.555, Number.NaN, Number.POSITIVE_INFINITY, 2e9])
      assert.equal(bidAmountSchema.safeParse(bad).success, false, String(bad));
  });
});

describe('the close: one member’s view of the votes, by digest', () => {
  it('the digest does not depend on the order votes arrived in, and changes with any vote', () => {
    const votes = [vote('a', 'X'), vote('b', 'Y'), vote('c', 'X')];
    const digest = voteSetDigest(Q, votes);
    assert.match(digest, /^[0-9a-f]{64}$/);
    assert.equal(voteSetDigest(Q, [...votes].reverse()), digest);
    // A superseded vote changes nothing: only standing votes are committed to.
    assert.equal(voteSetDigest(Q, [...votes, vote('a', 'Y', 0)]), digest);
    assert.notEqual(voteSetDigest(Q, [vote('a', 'X'), vote('b', 'Y')]), digest);
    assert.notEqual(voteSetDigest(Q, [vote('a', 'X'), vote('b', 'Y'), vote('c', 'Y')]), digest);
    assert.notEqual(voteSetDigest('b'.repeat(32), votes), digest);
  });

  it('encodes and decodes; anything else is no close', () => {
    const close = {
      kind: 'close',
      question: Q,
      by: 'Amy',
      at: 5,
      digest: 'f'.repeat(64),
      count: 3,
      signature: SIG(1),
    } as const;
    assert.deepEqual(decodeClose(encodeClose(close)), close);
    for (const bad of [
      '',
      'null',
      '{"option":"x","by":"a","signature":"s"}',
      encodeClose(close).replace('"count":3', '"count":999'),
    ])
      assert.equal(decodeClose(bad), null, bad);
  });
});
