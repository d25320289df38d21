// Rhai syntax colouring for CodeMirror 6 as a StreamLanguage (a line tokenizer: no grammar to
// build, enough for scripts of a few dozen lines). `// @case` header lines get their own token
// so the test cases stand out from ordinary comments.
import { StreamLanguage, type StreamParser, type StringStream } from '@codemirror/language';

export const RHAI_KEYWORDS = new Set([
  'let', 'const', 'if', 'else', 'switch', 'do', 'while', 'until', 'loop', 'for', 'in', 'continue',
  'break', 'return', 'throw', 'try', 'catch', 'fn', 'private', 'import', 'export', 'as', 'global',
]);
const ATOMS = new Set(['true', 'false', 'this']);

export interface RhaiState {
  /// Inside a /* */ comment that spans lines (Rhai block comments nest).
  blockDepth: number;
}

function blockComment(stream: StringStream, state: RhaiState): string {
  while (!stream.eol()) {
    if (stream.match('/*')) state.blockDepth += 1;
    else if (stream.match('*/')) {
      state.blockDepth -= 1;
      if (state.blockDepth === 0) break;
    } else stream.next();
  }
  return 'comment';
}

function quoted(stream: StringStream, close: string): string {
  let escaped = false;
  let ch: string | void;
  while ((ch = stream.next()) != null) {
    if (ch === close && !escaped) break;
    escaped = !escaped && ch === '\\';
  }
  return 'string';
}

export const rhaiParser: StreamParser<RhaiState> = {
  name: 'rhai',
  startState: () => ({ blockDepth: 0 }),
  copyState: (s) => ({ ...s }),
  token(stream, state) {
    if (state.blockDepth > 0) return blockComment(stream, state);
    if (stream.eatSpace()) return null;
    if (stream.match(/^\/\/\s*@case\b/)) {
      stream.skipToEnd();
      return 'meta';
    }
    if (stream.match('//')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match('/*')) {
      state.blockDepth = 1;
      return blockComment(stream, state);
    }
    const ch = stream.peek();
    if (ch === '"' || ch === '`') {
      stream.next();
      return quoted(stream, ch);
    }
    if (ch === "'") {
      stream.next();
      return quoted(stream, "'");
    }
    if (stream.match(/^(0x[0-9a-fA-F_]+|0b[01_]+|0o[0-7_]+|\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?)/)) return 'number';
    if (stream.match('#{')) return 'bracket';
    if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
      const word = stream.current();
      if (RHAI_KEYWORDS.has(word)) return 'keyword';
      if (ATOMS.has(word)) return 'atom';
      // A name followed by "(" is a call; after "." a property.
      if (stream.peek() === '(') return 'variableName.function';
      return 'variableName';
    }
    if (stream.match(/^[+\-*/%=<>!&|^?:.]+/)) return 'operator';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
};

export const rhaiLanguage = StreamLanguage.define(rhaiParser);

