import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CATALOG_ENTRIES_PER_MESSAGE,
  CatalogSync,
  MAX_WANTED_PER_PEER,
  type CatalogIndex,
} from '../../src/node/questions/catalog-sync.ts';

/** A catalog: per question, the fingerprint of the outcome held (true: the usual one), or none. */
function index(entries: Record<string, boolean | string>): CatalogIndex {
  return {
    ids: () => Object.keys(entries),
    has: (id) => id in entries,
    outcome: (id) => {
      const e = entries[id];
      return e === true ? 'aaaaaaaaaaaaaaaa' : e === false || e === undefined ? null : e;
    },
  };
}

const id = (n: number) => n.toString(16).padStart(32, '0');

/** Runs the exchange one way: what `receiver` sends back after hearing `sender`'s whole digest. */
function exchange(sender: CatalogSync, receiver: CatalogSync): string[] {
  const replies: string[] = [];
  for (const { entries, done } of sender.digest()) replies.push(...receiver.receive('peer', entries, done));
  return replies;
}

describe('catalog sync on connect', () => {
  it('sends only the questions and outcomes the peer lacks', () => {
    const mine = new CatalogSync(index({ [id(1)]: true, [id(2)]: true, [id(3)]: false, [id(4)]: false }));
    const theirs = new CatalogSync(index({ [id(1)]: true, [id(2)]: false, [id(3)]: false, [id(9)]: true }));
    // They lack question 4, and the outcome of question 2; they know 1 and 3 as well as this node does.
    assert.deepEqual(exchange(theirs, mine).sort(), [id(2), id(4)]);
    // The other way: this node lacks question 9.
    assert.deepEqual(exchange(mine, theirs), [id(9)]);
  });

  it('sends an outcome the peer holds differently: two certificates must meet for broken safety to show', () => {
    const mine = new CatalogSync(index({ [id(1)]: 'bbbbbbbbbbbbbbbb', [id(2)]: true }));
    const theirs = new CatalogSync(index({ [id(1)]: true, [id(2)]: true }));
    assert.deepEqual(exchange(theirs, mine), [id(1)]);
    assert.deepEqual(exchange(mine, theirs), [id(1)]);
  });

  it('with nothing new, costs a few digest messages and no question', () => {
    const entries = Object.fromEntries(Array.from({ length: 10_000 }, (_, n) => [id(n), n % 2 === 0]));
    const a = new CatalogSync(index(entries));
    const b = new CatalogSync(index(entries));
    const digest = a.digest();
    assert.equal(digest.length, Math.ceil(10_000 / CATALOG_ENTRIES_PER_MESSAGE));
    assert.deepEqual(
      digest.map((m) => m.done),
      [...Array(digest.length - 1).fill(false), true],
    );
    assert.deepEqual(exchange(a, b), []);
  });

  it('an empty catalog still says it is done, and gets everything', () => {
    const empty = new CatalogSync(index({}));
    const full = new CatalogSync(index({ [id(1)]: true }));
    assert.deepEqual(empty.digest(), [{ entries: [], done: true }]);
    assert.deepEqual(exchange(empty, full), [id(1)]);
  });

  it('keeps nothing about questions it does not know, and forgets a peer that left mid-digest', () => {
    const mine = new CatalogSync(index({ [id(1)]: true }));
    // Ids this node does not know are not kept in the digest, however many a peer sends (what it lacks
    // is noted apart, and bounded: see the catch-up tests below).
    for (let chunk = 0; chunk < 5; chunk++) {
      const entries = Array.from({ length: 1_000 }, (_, n) => ({
        id: id(1_000 + chunk * 1_000 + n),
        outcome: 'aaaaaaaaaaaaaaaa',
      }));
      assert.deepEqual(mine.receive('peer', entries, false), []);
    }
    mine.receive('peer', [{ id: id(1), outcome: 'aaaaaaaaaaaaaaaa' }], false);
    mine.forget('peer');
    // After forgetting, a finished digest that said nothing about question 1 gets it sent.
    assert.deepEqual(mine.receive('peer', [], true), [id(1)]);
  });
});

describe('catch-up: what a peer has and this node lacks', () => {
  it('is noted from the peer’s digest and crossed off as it arrives', () => {
    const entries: Record<string, boolean | string> = { [id(1)]: false, [id(2)]: true };
    const mine = new CatalogSync(index(entries));
    const theirs = new CatalogSync(index({ [id(1)]: true, [id(2)]: true, [id(3)]: false }));
    exchange(theirs, mine);
    // Question 3, and the outcome of question 1.
    assert.equal(mine.lacking('peer'), 2);
    entries[id(3)] = false;
    assert.equal(mine.lacking('peer'), 1, 'question 3 arrived');
    entries[id(1)] = true;
    assert.equal(mine.lacking('peer'), 0, 'and the outcome of question 1');
  });

  it('an item this node refused is not asked for again; a peer that leaves takes its list along', () => {
    const mine = new CatalogSync(index({}));
    const theirs = new CatalogSync(index({ [id(1)]: false, [id(2)]: false }));
    exchange(theirs, mine);
    assert.equal(mine.lacking('peer'), 2);
    mine.giveUp('peer', id(1));
    assert.equal(mine.lacking('peer'), 1);
    mine.forget('peer');
    assert.equal(mine.lacking('peer'), 0);
  });

  it('is bounded per peer, whatever the peer claims', () => {
    const mine = new CatalogSync(index({}));
    for (let chunk = 0; chunk < 20; chunk++) {
      const entries = Array.from({ length: 1_000 }, (_, n) => ({ id: id(chunk * 1_000 + n), outcome: null }));
      mine.receive('peer', entries, chunk === 19);
    }
    assert.equal(mine.lacking('peer'), MAX_WANTED_PER_PEER);
  });
});
