import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { typedText } from '../../src/model/question.ts';

describe('text typed by a person', () => {
  const title = typedText('the title', 20);
  it('is trimmed, and keeps any script, mixed directions included', () => {
    assert.equal(title.parse('  Dîner ?  '), 'Dîner ?');
    assert.equal(title.parse('שלום world'), 'שלום world');
    assert.equal(title.parse('مرحبا'), 'مرحبا');
  });
  it('refuses empty, too long, control characters and direction overrides, saying why', () => {
    const problem = (text: string) => title.safeParse(text).error?.issues[0]?.message;
    assert.equal(problem('   '), 'the title must not be empty');
    assert.equal(problem('x'.repeat(21)), 'the title has at most 20 characters');
    assert.equal(problem('a\u0007b'), 'the title must not contain control characters');
    // "Alice\u202Eecila" would show as "Aliceecila" reversed: a name that reads as another.
    for (const bidi of [
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ])
      assert.equal(
        problem(`Ali${bidi}ce`),
        'the title must not contain characters that reverse the direction of text',
        `U+${bidi.charCodeAt(0).toString(16)}`,
      );
  });
});
