import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { voteSetDigest, type CloseValue, type MemberVote } from '../../src/model/rules.ts';
import {
  MAX_SETS_PER_CLOSER,
  MAX_SETS_PER_QUESTION,
  VoteBook,
  voteBookOptions,
} from '../../src/node/votes/vote-book.ts';
import { StateLog } from '../../src/storage/index.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';
import { DIR, question } from '../helpers/state-log-fixtures.ts';

const PEER = '12D3KooWDJ7kKqQZt8iS98UeqU4PBXZPxtML8UpPwsG4Bmwd4QtX';
const QUESTION = question(1).id;
const vote = (seq: number): MemberVote => ({
  question: QUESTION,
  by: PEER,
  option: 'Alien',
  amount: null,
  seq,
  signature: 's'.repeat(86),
});

async function bookOn(fs: MemoryFs) {
  const { log, records } = await StateLog.open(DIR, { ...voteBookOptions(true), fs });
  return { log, book: new VoteBook(log, records.values()) };
}

describe('the vote book: a vote or a vote set counts once it is on disk, never before', () => {
  it('a vote is held (and so shown, tallied and passed on) only once fsynced, and survives a crash', async () => {
    const fs = new MemoryFs();
    const { log, book } = await bookOn(fs);
    const recorded = book.record(vote(1));
    assert.deepEqual(book.standing(QUESTION), [], 'not held before its write');
    assert.equal(await recorded, 'kept');
    assert.deepEqual(book.standing(QUESTION), [vote(1)]);
    const { records } = await StateLog.open(DIR, { ...voteBookOptions(false), fs: fs.crashed() });
    assert.deepEqual(new VoteBook(log, records.values()).standing(QUESTION), [vote(1)]);
    await log.close();
  });

  it('a vote set is held only once fsynced, and survives a crash', async () => {
    const fs = new MemoryFs();
    const { log, book } = await bookOn(fs);
    const votes = [vote(1)];
    const close: CloseValue = {
      kind: 'close',
      question: QUESTION,
      by: PEER,
      at: 1,
      digest: voteSetDigest(QUESTION, votes),
      count: 1,
      signature: 's'.repeat(86),
    };
    const kept = book.keepSet(close, votes);
    assert.equal(book.set(QUESTION, close.digest), undefined, 'not held before its write');
    assert.equal(await kept, 'kept');
    assert.deepEqual(book.set(QUESTION, close.digest)?.votes, votes);
    const { records } = await StateLog.open(DIR, { ...voteBookOptions(false), fs: fs.crashed() });
    assert.deepEqual(new VoteBook(log, records.values()).set(QUESTION, close.digest)?.votes, votes);
    await log.close();
  });

  it('a vote whose write fails is not held', async () => {
    const fs = new MemoryFs();
    const { log, book } = await bookOn(fs);
    fs.options = { crashAt: fs.operationCount };
    await assert.rejects(book.record(vote(1)));
    assert.deepEqual(book.standing(QUESTION), []);
    await log.close().catch(() => undefined);
  });
});

describe('the vote book: bounds per closer', () => {
  // Closers by peer-id-shaped names (base58: no 0, O, I or l).
  const closeBy = (by: string, at: number): CloseValue => ({
    kind: 'close',
    question: QUESTION,
    by,
    at,
    digest: at.toString(16).padStart(64, '0'),
    count: 0,
    signature: 's'.repeat(86),
  });

  it(`a closer leaves ${MAX_SETS_PER_CLOSER} sets at most; other voters fill ${MAX_SETS_PER_QUESTION} places, and the asker's and acceptors' sets are kept beyond them, also after a restart`, async () => {
    const fs = new MemoryFs();
    const { log, book } = await bookOn(fs);
    let at = 1;
    for (let n = 0; n < MAX_SETS_PER_CLOSER; n++)
      assert.equal(await book.keepSet(closeBy('mA', at++), []), 'kept');
    assert.equal(await book.keepSet(closeBy('mA', at++), []), 'full', 'one closer');
    for (let m = 1; MAX_SETS_PER_CLOSER * m < MAX_SETS_PER_QUESTION + MAX_SETS_PER_CLOSER; m++)
      for (let n = 0; n < MAX_SETS_PER_CLOSER; n++)
        await book.keepSet(closeBy(`m${'ABCDEFGHJKLMNPQRS'[m]}`, at++), []);
    assert.equal(await book.keepSet(closeBy('tardy', at++), []), 'full', 'the places are taken');
    assert.equal(await book.keepSet(closeBy('asker', at++), [], true), 'kept', "the asker's close is kept");
    const { records } = await StateLog.open(DIR, { ...voteBookOptions(false), fs: fs.crashed() });
    const again = new VoteBook(log, records.values());
    assert.equal(await again.keepSet(closeBy('tardy', at++), []), 'full', 'still taken after a restart');
    assert.equal(await again.keepSet(closeBy('acceptor', at++), [], true), 'kept');
    await log.close();
  });

  it('the bounds hold for closes that arrive all at once (their writes run side by side)', async () => {
    const fs = new MemoryFs();
    const { log, book } = await bookOn(fs);
    const results = await Promise.all(
      Array.from({ length: MAX_SETS_PER_CLOSER + 4 }, (_, n) => book.keepSet(closeBy('mA', 1_000 + n), [])),
    );
    assert.equal(results.filter((r) => r === 'kept').length, MAX_SETS_PER_CLOSER);
    assert.equal(results.filter((r) => r === 'full').length, 4);
    await log.close();
  });
});
