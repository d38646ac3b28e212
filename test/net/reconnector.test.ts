import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reconnector } from '../../src/net/reconnector.ts';

function harness(self: string, targets: { peer: string; manual: boolean }[], failing: boolean) {
  let now = 0;
  const dials: { peer: string; at: number }[] = [];
  const reconnector = new Reconnector({
    self,
    isConnected: () => false,
    dial: async (peer) => {
      dials.push({ peer, at: now });
      if (failing) throw new Error('unreachable');
    },
    targets: () => targets,
    now: () => now,
    baseMs: 1_000,
    maxMs: 8_000,
    graceMs: 3_000,
  });
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 250) {
      now += 250;
      reconnector.poll();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { reconnector, dials, advance };
}

describe('reconnector', () => {
  it('the lower peer id dials at once; the higher one only after the grace period', async () => {
    const low = harness('a', [{ peer: 'b', manual: false }], true);
    await low.advance(500);
    assert.equal(low.dials[0]?.at, 250);
    const high = harness('z', [{ peer: 'b', manual: false }], true);
    await high.advance(2_500);
    assert.equal(high.dials.length, 0);
    await high.advance(1_000);
    assert.equal(high.dials.length, 1);
  });

  it('backs off exponentially up to the cap, and forever (laptops sleep for hours)', async () => {
    const h = harness('a', [{ peer: 'b', manual: false }], true);
    await h.advance(60_000);
    const gaps = h.dials.slice(1).map((d, i) => d.at - (h.dials[i]?.at ?? 0));
    assert.deepEqual(gaps.slice(0, 4), [1_000, 2_000, 4_000, 8_000]);
    assert.ok(gaps.slice(4).every((g) => g === 8_000));
  });

  it('a reset (a connection, or an mDNS answer) makes the next poll dial again', async () => {
    const h = harness('a', [{ peer: 'b', manual: false }], true);
    await h.advance(20_000);
    const before = h.dials.length;
    h.reconnector.reset('b');
    await h.advance(250);
    assert.equal(h.dials.length, before + 1);
  });

  it('manual addresses are dialed whatever the peer ids', async () => {
    const h = harness('z', [{ peer: '/ip4/10.0.0.1/tcp/1/p2p/b', manual: true }], true);
    await h.advance(250);
    assert.equal(h.dials.length, 1);
  });
});
