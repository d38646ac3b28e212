import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isAllowedOption,
  isShowableText,
  typedText,
  type QuestionDefinition,
} from '../../src/model/question.ts';
import { forTerminal, jsonForTerminal } from '../../src/daemon/terminal-text.ts';

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
    assert.equal(problem('a\u009bb'), 'the title must not contain control characters', 'C1: U+009B');
    assert.equal(problem('a\u0085b'), 'the title must not contain control characters', 'C1: U+0085');
    for (const bidi of [
      '\u061c',
      '\u200e',
      '\u200f',
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

describe('one text rule, wherever text comes from', () => {
  const question = {
    options: ['Dawn'],
    allowOther: true,
  } as unknown as QuestionDefinition;
  it('an answer of a member’s own is allowed only under it (the wire and the API alike)', () => {
    assert.equal(isAllowedOption(question, 'Dusk'), true);
    assert.equal(isAllowedOption(question, 'Du\u202esk'), false);
    assert.equal(isAllowedOption(question, 'Du\u009bsk'), false);
    assert.equal(isShowableText('שלום world'), true);
  });
});

describe('what the CLI prints', () => {
  it('shows control and direction characters as visible escapes, newlines and tabs kept', () => {
    assert.equal(forTerminal('n1\u202e\tx\n\u009b31m\u001b[2J'), 'n1\\u{202e}\tx\n\\u{009b}31m\\u{001b}[2J');
  });
  it('as JSON stays valid JSON with the same content, every such character escaped', () => {
    const value = { name: '\u202e1n', title: 'a\u009bb\u2028c' };
    const text = jsonForTerminal(value);
    assert.doesNotMatch(text, /[\u0080-\u009f\u2028\u202e]/);
    assert.deepEqual(JSON.parse(text), value);
  });
});
