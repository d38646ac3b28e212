import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogOptions } from '../../src/node/catalog.ts';
import { DEFERRED_WRITE_MS, QuestionCatalog } from '../../src/node/question-catalog.ts';
import { StateLog } from '../../src/storage/index.ts';
import { MemoryFs } from '../helpers/memory-fs.ts';
import { DIR, question } from '../helpers/state-log-fixtures.ts';

async function catalogOn(fs: MemoryFs) {
  const { log, records } = await StateLog.open(DIR, { ...catalogOptions(true), fs });
  const failures: Error[] = [];
  return { log, catalog: new QuestionCatalog(log, records.values(), (e) => failures.push(e)), failures };
}

const commits = (fs: MemoryFs) => fs.ops.filter((op) => op.op === 'datasync').length;

describe('the question catalog on disk', () => {
  it('a decision time costs no fsync of its own: it goes to disk with the next question', async () => {
    const fs = new MemoryFs();
    const { log, catalog } = await catalogOn(fs);
    await catalog.add(question(1).definition);
    const before = commits(fs);
    catalog.markDecided(question(1).id, 1234);
    assert.equal(catalog.get(question(1).id)?.decidedAt, 1234, 'shown at once');
    await catalog.add(question(2).definition);
    assert.equal(commits(fs) - before, 1, 'one fsync for the new question and the decision time');
    assert.equal(log.records.get(question(1).id)?.decidedAt, 1234);
    await log.close();
  });

  it('a question learned from another member waits for the next write too', async () => {
    const fs = new MemoryFs();
    const { log, catalog } = await catalogOn(fs);
    const before = commits(fs);
    await catalog.add(question(1).definition, 'soon');
    assert.ok(catalog.get(question(1).id), 'known at once');
    assert.equal(commits(fs), before, 'no fsync of its own');
    assert.equal(log.records.get(question(1).id), undefined);
    await catalog.add(question(2).definition);
    assert.equal(commits(fs) - before, 1);
    assert.ok(log.records.get(question(1).id) && log.records.get(question(2).id));
    await log.close();
  });

  it(`or by itself ${DEFERRED_WRITE_MS} ms later, and at close`, async () => {
    const fs = new MemoryFs();
    const { log, catalog } = await catalogOn(fs);
    await catalog.add(question(1).definition);
    await catalog.add(question(2).definition);
    catalog.markDecided(question(1).id, 1);
    await new Promise((resolve) => setTimeout(resolve, DEFERRED_WRITE_MS + 200));
    assert.equal(log.records.get(question(1).id)?.decidedAt, 1);
    catalog.markDecided(question(2).id, 2);
    assert.equal(log.records.get(question(2).id)?.decidedAt, null);
    await catalog.flush();
    assert.equal(log.records.get(question(2).id)?.decidedAt, 2);
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
