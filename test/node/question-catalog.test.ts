import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogOptions } from '../../src/node/questions/catalog.ts';
import { QuestionCatalog } from '../../src/node/questions/question-catalog.ts';
import { StateLog } from '../../src/storage/index.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';
import { DIR, question } from '../helpers/state-log-fixtures.ts';

async function catalogOn(fs: MemoryFs) {
  const { log, records } = await StateLog.open(DIR, { ...catalogOptions(true), fs });
  const failures: Error[] = [];
  return { log, catalog: new QuestionCatalog(log, records.values(), (e) => failures.push(e)), failures };
}

const commits = (fs: MemoryFs) => fs.ops.filter((op) => op.op === 'datasync').length;

describe('the question catalog on disk: what is shown is what is on disk', () => {
  it('a question is shown only once it is fsynced, and survives a crash from then on', async () => {
    const fs = new MemoryFs();
    const { log, catalog } = await catalogOn(fs);
    const added = catalog.add(question(1).definition);
    assert.ok(catalog.get(question(1).id), 'known at once, for the messages that follow it');
    assert.equal(catalog.shown(question(1).id), undefined, 'not shown before its write');
    assert.deepEqual(catalog.newestFirst(), [], 'not listed before its write');
    await added;
    assert.ok(catalog.shown(question(1).id), 'shown once written');
    assert.deepEqual(
      catalog.newestFirst().map((r) => r.id),
      [question(1).id],
    );
    const after = await StateLog.open(DIR, { ...catalogOptions(false), fs: fs.crashed() });
    assert.ok(after.records.get(question(1).id), 'on the disk a crash leaves');
    await log.close();
  });

  it('adding a question being written resolves when that write is done, not before', async () => {
    const fs = new MemoryFs();
    const { log, catalog } = await catalogOn(fs);
    const first = catalog.add(question(1).definition);
    let again = false;
    const second = catalog.add(question(1).definition).then(() => (again = true));
    assert.equal(again, false);
    await first;
    await second;
    assert.ok(catalog.shown(question(1).id));
    await log.close();
  });

  it("a decision time is on disk before markDecided resolves; a member's time wins over now", async () => {
    const fs = new MemoryFs();
    const { log, catalog } = await catalogOn(fs);
    await catalog.add(question(1).definition);
    await catalog.add(question(2).definition);
    catalog.noteGroupDecidedAt(question(2).id, 777);
    const marked = catalog.markDecided(question(1).id, 1234);
    assert.equal(catalog.shown(question(1).id)?.decidedAt, null, 'the time is not shown before its write');
    assert.equal((await marked)?.decidedAt, 1234);
    assert.equal(catalog.shown(question(1).id)?.decidedAt, 1234);
    assert.equal((await catalog.markDecided(question(2).id, 5678))?.decidedAt, 777);
    assert.equal((await catalog.markDecided(question(1).id, 9999))?.decidedAt, 1234, 'the first time stays');
    const after = await StateLog.open(DIR, { ...catalogOptions(false), fs: fs.crashed() });
    assert.equal(after.records.get(question(1).id)?.decidedAt, 1234);
    assert.equal(after.records.get(question(2).id)?.decidedAt, 777);
    await log.close();
  });

  it('writes that meet during a fsync share the next one (batching that waits)', async () => {
    const fs = new MemoryFs();
    const { log, catalog } = await catalogOn(fs);
    const before = commits(fs);
    await Promise.all([1, 2, 3, 4, 5].map((n) => catalog.add(question(n).definition)));
    assert.ok(commits(fs) - before <= 2, `five questions in ${commits(fs) - before} fsyncs`);
    assert.equal(catalog.newestFirst().length, 5);
    await log.close();
  });
});

describe('the questions the vote desk watches', () => {
  it('are the votes and auctions only, however many quick decisions there are', async () => {
    const { log, catalog } = await catalogOn(new MemoryFs());
    for (let n = 1; n <= 50; n++) await catalog.add(question(n).definition);
    const vote = question(51).definition;
    await catalog.add({ ...vote, rule: 'vote', deadline: vote.createdAt + 60_000 });
    assert.deepEqual(
      [...catalog.ruleQuestions()].map((r) => r.id),
      [vote.id],
    );
    await log.close();
  });
});
