import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DecisionNotices, GroupNotices } from '../../src/api/decision-notices.ts';
import { API_METHODS, handleIpc, isTrustedSender } from '../../src/api/ipc.ts';
import { SynodError, type QuestionView, type SynodApi } from '../../src/api/types.ts';

describe('IPC bridge', () => {
  it('the preload exposes exactly the API methods the main process handles', async () => {
    const preload = await readFile(new URL('../../electron/preload.cts', import.meta.url), 'utf8');
    const listed = [...(preload.match(/const METHODS = \[([^\]]*)\]/)?.[1] ?? '').matchAll(/'(\w+)'/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(listed, [...API_METHODS]);
  });

  it('passes calls through and turns errors into values the renderer can show', async () => {
    const api = {
      status: async () => ({ peerId: 'p' }),
      propose: async () => {
        throw new SynodError('not-found', 'there is no question x');
      },
      invite: async () => {
        throw new Error('secret internal detail');
      },
    } as unknown as SynodApi;
    assert.deepEqual(await handleIpc(api, 'status', undefined), { ok: true, value: { peerId: 'p' } });
    assert.deepEqual(await handleIpc(api, 'propose', {}), {
      ok: false,
      error: { code: 'not-found', message: 'there is no question x' },
    });
    const internal = await handleIpc(api, 'invite', undefined);
    assert.equal(internal.ok, false);
    assert.doesNotMatch(JSON.stringify(internal), /secret/);
  });

  it('trusts only the app page itself as a sender', () => {
    const app = 'file:///opt/Synod/resources/app/renderer/dist/index.html';
    assert.equal(isTrustedSender(app, app), true);
    assert.equal(isTrustedSender(`${app}#questions`, app), true);
    assert.equal(isTrustedSender('file:///tmp/evil.html', app), false);
    assert.equal(isTrustedSender('https://example.com/renderer/dist/index.html', app), false);
    assert.equal(isTrustedSender(undefined, app), false);
    assert.equal(isTrustedSender('not a url', app), false);
  });
});

describe('decision notifications', () => {
  const question = (id: string, option: string | null): QuestionView =>
    ({
      id,
      title: `Q ${id}`,
      outcome:
        option === null
          ? null
          : { option, proposedBy: 'p', proposedByName: 'Bob', decidedAt: 1, close: null },
    }) as QuestionView;

  it('announces each question once, when it becomes decided, and not those decided before start', () => {
    const notices = new DecisionNotices(['old']);
    assert.equal(notices.next({ type: 'question', question: question('old', 'x') }), null);
    assert.equal(notices.next({ type: 'question', question: question('q1', null) }), null);
    assert.deepEqual(notices.next({ type: 'question', question: question('q1', 'Dawn') }), {
      title: 'Decided: Q q1',
      body: 'Dawn (proposed by Bob)',
    });
    assert.equal(notices.next({ type: 'question', question: question('q1', 'Dawn') }), null);
  });

  it("each group's decisions, named by their group; a group added later does not announce what it caught up with", async () => {
    const decided: Record<string, string[]> = { chess: ['old'], go: ['caught-up'] };
    const notices = new GroupNotices(async (id) => ({ name: `${id} club`, decided: decided[id] ?? [] }));
    await notices.start(['chess']);
    const event = (id: string) => ({ type: 'question' as const, question: question(id, 'Dawn') });
    assert.equal(notices.next('chess', event('old')), null);
    assert.deepEqual(notices.next('chess', event('q1')), {
      title: 'Decided: Q q1',
      body: 'Dawn (proposed by Bob) · chess club',
    });
    // A group this shell had not seen: set up at its first event, which is not news, nor what it held.
    assert.equal(notices.next('go', event('caught-up')), null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(notices.next('go', event('caught-up')), null);
    assert.deepEqual(notices.next('go', event('q2'))?.body, 'Dawn (proposed by Bob) · go club');
  });
});
