import assert from 'node:assert/strict';
import type { QuestionDefinition } from '../../src/model/question.ts';
import { describe, it, mock } from 'node:test';
import type { WireMessage } from '../../src/net/wire.ts';
import type { PaxosDriver } from '../../src/node/durable/paxos-driver.ts';
import type { QuestionCatalog } from '../../src/node/questions/question-catalog.ts';
import { CATCH_UP_RETRY_MAX_MS, QuestionExchange } from '../../src/node/questions/question-exchange.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');

/** An exchange over a catalog the test fills, connected to `peer` while `connected` says so. */
function exchange(judge: { waits?: boolean; problem?: string | null } = {}) {
  const known = new Set<string>();
  const digests: string[] = [];
  const rejections: string[] = [];
  const state = { connected: true };
  const x = new QuestionExchange({
    catalog: {
      ids: () => known.values(),
      get: (q: string) => (known.has(q) ? {} : undefined),
      limitProblem: () => null,
    } as unknown as QuestionCatalog,
    driver: { core: { decision: () => undefined } } as unknown as PaxosDriver,
    send: (to: string, message: WireMessage) => {
      if (message.type === 'catalog') digests.push(to);
    },
    connectedPeers: () => (state.connected ? ['p'] : []),
    questionProblem: () => judge.problem ?? null,
    waits: () => judge.waits ?? false,
    outcomeProblem: () => null,
    rejected: (_from, reason) => rejections.push(reason),
    changed: () => undefined,
    decidedBefore: () => undefined,
    now: () => Date.now(),
  });
  return { x, known, digests, state, rejections };
}

describe('catch-up asks again while this node lacks what a peer has', () => {
  it('sends its digest again after 1 s, then twice as long up to 30 s, until it has it', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { x, known, digests } = exchange();
      x.digest('p', [{ id: id(1), outcome: null }], true);
      assert.equal(digests.length, 0, 'the peer is answering already: no second request at once');
      mock.timers.tick(1_000);
      assert.equal(digests.length, 1, 'asked again after 1 s');
      mock.timers.tick(1_000);
      assert.equal(digests.length, 1, 'then after 2 s');
      mock.timers.tick(1_000);
      assert.equal(digests.length, 2);
      for (let i = 0; i < 10; i++) mock.timers.tick(CATCH_UP_RETRY_MAX_MS);
      const asked = digests.length;
      assert.ok(asked >= 10, `still asking after minutes (${asked})`);
      known.add(id(1));
      for (let i = 0; i < 5; i++) mock.timers.tick(CATCH_UP_RETRY_MAX_MS);
      assert.equal(digests.length, asked, 'once it has it, never again');
    } finally {
      mock.timers.reset();
    }
  });

  it('stops when the peer disconnects', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { x, digests, state } = exchange();
      x.digest('p', [{ id: id(1), outcome: null }], true);
      state.connected = false;
      x.disconnected('p');
      for (let i = 0; i < 5; i++) mock.timers.tick(CATCH_UP_RETRY_MAX_MS);
      assert.equal(digests.length, 0);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('a question this node cannot judge yet (asked in an epoch of the group log it does not hold)', () => {
  const definition = { id: id(1), createdBy: 'p', createdAt: 1 } as unknown as QuestionDefinition;

  it('is neither refused nor given up: the exchange asks for it again', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { x, digests, rejections } = exchange({ waits: true });
      x.digest('p', [{ id: id(1), outcome: null }], true);
      x.learn('p', definition, null, null);
      assert.deepEqual(rejections, []);
      mock.timers.tick(1_000);
      assert.equal(digests.length, 1, 'still wanted: asked again');
    } finally {
      mock.timers.reset();
    }
  });

  it('while one refused is given up (the control)', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { x, digests, rejections } = exchange({ problem: 'no member' });
      x.digest('p', [{ id: id(1), outcome: null }], true);
      x.learn('p', definition, null, null);
      assert.equal(rejections.length, 1);
      for (let i = 0; i < 3; i++) mock.timers.tick(CATCH_UP_RETRY_MAX_MS);
      assert.equal(digests.length, 0, 'not asked for again');
    } finally {
      mock.timers.reset();
    }
  });
});
