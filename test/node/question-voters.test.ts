import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../../src/model/limits.ts';
import type { Member } from '../../src/node/members/members.ts';
import { chooseVoters, NEW_MEMBER_MS } from '../../src/node/questions/question-voters.ts';

const member = (
  peerId: string,
  online: boolean,
  lastSeen: number | null = null,
  firstSeen: number | null = null,
): Member => ({
  peerId,
  name: peerId,
  addresses: [],
  lastSeen,
  firstSeen,
  online,
  seq: 1,
  signature: null,
});

describe('who decides and who votes on a new question', () => {
  it('the asker and the members online now that it has known longest, up to the limit; the rest learn', () => {
    const members = [
      member('d', true, null, 10),
      member('b', true, null, 30),
      member('c', false, 5, 1),
      member('e', true, null, 20),
    ];
    const { acceptors, learners, voters } = chooseVoters('a', members, 3, 10 * NEW_MEMBER_MS);
    assert.deepEqual(acceptors, ['a', 'd', 'e']);
    assert.deepEqual(learners, ['b', 'c']);
    assert.deepEqual(voters, ['a', 'd', 'e', 'c', 'b'], 'every member it knows votes, known longest first');
  });

  const DAY = NEW_MEMBER_MS;
  const NOW = 10 * DAY;
  // Peer ids that sort first (what grinding keys buys under peer-id order), met in the last hour.
  const minted = Array.from({ length: 300 }, (_, i) =>
    member(`1${String(i).padStart(3, '0')}`, true, null, NOW - 3_600_000 + i),
  );

  it('300 keys minted a moment ago never hold a majority of the seats, whatever their peer ids', () => {
    const earlier = [
      member('x', true, null, DAY),
      member('y', true, null, 2 * DAY),
      member('z', false, 50, 3 * DAY),
    ];
    const { acceptors, voters } = chooseVoters('a', [...minted, ...earlier], 7, NOW);
    assert.deepEqual(acceptors, ['a', 'x', 'y', '1000', '1001'], 'two new members beside three known before');
    assert.equal(voters.length, LIMITS.maxVoters);
    assert.ok(voters.includes('z'), 'a member away now still votes');
    // With the members known before away, the new ones take no seat at all: the asker is alone.
    const away = earlier.map((m) => ({ ...m, online: false }));
    assert.deepEqual(chooseVoters('a', [...minted, ...away], 7, NOW).acceptors, ['a']);
  });

  it('in a group whose other members are all new, they fill the seats', () => {
    assert.equal(chooseVoters('a', minted.slice(0, 10), 7, NOW).acceptors.length, 7);
  });

  it('alone, the asker is the only acceptor', () => {
    const { acceptors, learners } = chooseVoters('a', [member('b', false, 1)], 7);
    assert.deepEqual({ acceptors, learners }, { acceptors: ['a'], learners: ['b'] });
  });

  it(`names at most ${LIMITS.maxLearners} learners, the most recently seen first`, () => {
    const members = Array.from({ length: 200 }, (_, i) => member(`m${i}`, false, i));
    const { learners } = chooseVoters('a', members, 7);
    assert.equal(learners.length, LIMITS.maxLearners);
    assert.equal(learners[0], 'm199');
  });
});
