import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../../src/model/limits.ts';
import type { Member } from '../../src/node/members.ts';
import { chooseVoters } from '../../src/node/question-voters.ts';

const member = (peerId: string, online: boolean, lastSeen: number | null = null): Member => ({
  peerId,
  name: peerId,
  addresses: [],
  lastSeen,
  online,
  seq: 1,
  signature: null,
});

describe('who votes on a new question', () => {
  it('the asker and the members online now, in peer id order, up to the limit; the rest learn', () => {
    const members = [member('d', true), member('b', true), member('c', false, 5), member('e', true)];
    assert.deepEqual(chooseVoters('a', members, 3), { acceptors: ['a', 'b', 'd'], learners: ['e', 'c'] });
  });

  it('alone, the asker is the only acceptor', () => {
    assert.deepEqual(chooseVoters('a', [member('b', false, 1)], 7), { acceptors: ['a'], learners: ['b'] });
  });

  it(`names at most ${LIMITS.maxLearners} learners, the most recently seen first`, () => {
    const members = Array.from({ length: 200 }, (_, i) => member(`m${i}`, false, i));
    const { learners } = chooseVoters('a', members, 7);
    assert.equal(learners.length, LIMITS.maxLearners);
    assert.equal(learners[0], 'm199');
  });
});
