/**
 * The soak's negative controls aim at exact lines of src/: if one of them changes, this fails in
 * `npm test`, rather than the control silently testing nothing (the compiled out/ keeps these lines).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BUG_REWRITES, SOAK_BUGS, parseBug, rewrite } from './bugs.ts';

describe('the soak negative controls', () => {
  for (const bug of SOAK_BUGS) {
    it(`${bug} finds its target in src/${BUG_REWRITES[bug].module}.ts exactly once`, () => {
      const source = readFileSync(
        new URL(`../../src/${BUG_REWRITES[bug].module}.ts`, import.meta.url),
        'utf8',
      );
      const changed = rewrite(bug, source);
      assert.notEqual(changed, source);
      for (const { to } of BUG_REWRITES[bug].replacements) assert.ok(changed.includes(to));
    });
  }

  it('refuses to start when its target is missing or ambiguous', () => {
    assert.throws(() => rewrite('quorum-of-one', 'export const nothing = 1;'), /not in paxos\/config/);
    const line = BUG_REWRITES['quorum-of-one'].replacements[0]?.from ?? '';
    assert.throws(() => rewrite('quorum-of-one', `${line}\n${line}`), /more than once/);
  });

  it('knows only its own bugs', () => {
    assert.equal(parseBug(undefined), null);
    assert.equal(parseBug('ack-before-write'), 'ack-before-write');
    assert.throws(() => parseBug('quorum-of-two'), /--bug must be one of/);
  });
});
