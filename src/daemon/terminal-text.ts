/**
 * What the CLI prints comes partly from other members (names, titles, options): a terminal must not act
 * on any of it. Control characters (C0 but newline and tab, DEL, C1: U+009B alone starts an escape
 * sequence) and the invisible characters that reverse text are shown as visible escapes instead.
 * Synod refuses them in new text (see isShowableText); records from before may still hold them.
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escaped = (char: string) => `\\u{${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`;

/** Text for a terminal: every unsafe character as a visible `\u{…}`. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** JSON for a terminal: still valid JSON, with every unsafe character as a `\uXXXX` escape. */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    UNSAFE,
    (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}
