import { describe, expect, it } from 'vitest';
import { parseClipboard, toClipboard } from './tsv';

describe('parseClipboard', () => {
  it('splits tabs and lines and drops the trailing newline Excel adds', () => {
    expect(parseClipboard('a\tb\nc\td\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
  it('handles CRLF and lone CR', () => {
    expect(parseClipboard('a\tb\r\nc\td\r\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parseClipboard('a\rb')).toEqual([['a'], ['b']]);
  });
  it('keeps empty cells, also at the end of a row', () => {
    expect(parseClipboard('a\t\tc\t\n\tx\n')).toEqual([
      ['a', '', 'c', ''],
      ['', 'x'],
    ]);
  });
  it('reads quoted cells with tabs, newlines and doubled quotes', () => {
    const text = 'WO-1\t"line one\nline two"\t5\r\n"say ""hi""\tthere"\t"x"\t6\r\n';
    expect(parseClipboard(text)).toEqual([
      ['WO-1', 'line one\nline two', '5'],
      ['say "hi"\tthere', 'x', '6'],
    ]);
  });
  it('keeps a quote in the middle of a cell literally', () => {
    expect(parseClipboard('5" screen\t2')).toEqual([['5" screen', '2']]);
    expect(parseClipboard('"unclosed\tx')).toEqual([['"unclosed', 'x']]);
  });
  it('a single value without newline is one cell; empty text is nothing', () => {
    expect(parseClipboard('42')).toEqual([['42']]);
    expect(parseClipboard('')).toEqual([]);
  });
  it('a blank line in the middle is an empty row', () => {
    expect(parseClipboard('a\n\nb\n')).toEqual([['a'], [''], ['b']]);
  });
});

describe('toClipboard', () => {
  it('round-trips through parseClipboard', () => {
    const rows = [
      ['a', 'b\tc', 'multi\nline'],
      ['say "x"', '', '1.5'],
    ];
    expect(parseClipboard(toClipboard(rows) + '\r\n')).toEqual(rows);
  });
});
