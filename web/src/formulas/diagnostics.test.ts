import { describe, expect, it } from 'vitest';
import { diagnosticRange } from './diagnostics';

const doc = ['let a = 1;', '', 'let x = ;'];
const starts = [0, 11, 12];
const lineAt = (n: number) => ({ from: starts[n - 1], to: starts[n - 1] + doc[n - 1].length });

describe('diagnosticRange', () => {
  it('marks the character at line:column (1-based)', () => {
    expect(diagnosticRange(3, lineAt, 3, 9)).toEqual({ from: 20, to: 21 });
  });
  it('marks the whole line when the column is past its end', () => {
    expect(diagnosticRange(3, lineAt, 1, 40)).toEqual({ from: 0, to: 10 });
  });
  it('clamps a line beyond the document and handles empty lines', () => {
    expect(diagnosticRange(3, lineAt, 9, 1)).toEqual({ from: 12, to: 13 });
    expect(diagnosticRange(3, lineAt, 2, 1)).toEqual({ from: 11, to: 11 });
  });
});
