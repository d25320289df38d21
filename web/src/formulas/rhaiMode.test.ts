import { describe, expect, it } from 'vitest';
import { StringStream } from '@codemirror/language';
import { rhaiParser, type RhaiState } from './rhaiMode';

/// Tokenizes lines the way CodeMirror does and returns [text, token] pairs (whitespace dropped).
function tokens(lines: string[]): [string, string | null][] {
  const state: RhaiState = rhaiParser.startState!(2);
  const out: [string, string | null][] = [];
  for (const line of lines) {
    const s = new StringStream(line, 2, 2);
    while (!s.eol()) {
      const style = rhaiParser.token(s, state);
      const text = s.current();
      if (text.trim()) out.push([text, style]);
      s.start = s.pos;
    }
  }
  return out;
}

describe('rhai stream mode', () => {
  it('marks keywords, names, numbers, operators and strings', () => {
    expect(tokens(['let x = 1.5e3 + y; if x > 0 { return "a\\"b"; }'])).toEqual([
      ['let', 'keyword'],
      ['x', 'variableName'],
      ['=', 'operator'],
      ['1.5e3', 'number'],
      ['+', 'operator'],
      ['y', 'variableName'],
      [';', null],
      ['if', 'keyword'],
      ['x', 'variableName'],
      ['>', 'operator'],
      ['0', 'number'],
      ['{', null],
      ['return', 'keyword'],
      ['"a\\"b"', 'string'],
      [';', null],
      ['}', null],
    ]);
  });
  it('gives @case lines their own token and comments theirs', () => {
    expect(tokens(['// @case "a": x = 1 => 2', '// plain', 'x // tail'])).toEqual([
      ['// @case "a": x = 1 => 2', 'meta'],
      ['// plain', 'comment'],
      ['x', 'variableName'],
      ['// tail', 'comment'],
    ]);
  });
  it('keeps block comments open across lines, nested', () => {
    expect(tokens(['/* a /* b */', 'still */ true'])).toEqual([
      ['/* a /* b */', 'comment'],
      ['still */', 'comment'],
      ['true', 'atom'],
    ]);
  });
  it('recognises map literals and calls', () => {
    expect(tokens(['#{ value: f(1) }'])).toEqual([
      ['#{', 'bracket'],
      ['value', 'variableName'],
      [':', 'operator'],
      ['f', 'variableName.function'],
      ['(', null],
      ['1', 'number'],
      [')', null],
      ['}', null],
    ]);
  });
});
