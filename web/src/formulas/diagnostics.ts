// Maps the server's {line, column} (1-based) to a document range for a lint mark. Pure, so the
// edge cases (past the end, empty line, stale line numbers while typing) are unit-tested.
export interface LineInfo {
  from: number;
  to: number;
}

export function diagnosticRange(
  lines: number,
  lineAt: (n: number) => LineInfo,
  line: number,
  column: number,
): { from: number; to: number } {
  const n = Math.min(Math.max(1, line || 1), lines);
  const l = lineAt(n);
  const pos = Math.min(l.from + Math.max(0, (column || 1) - 1), l.to);
  // Mark at least one character so the error is visible; at the end of a line mark the line.
  if (pos < l.to) return { from: pos, to: pos + 1 };
  return l.to > l.from ? { from: l.from, to: l.to } : { from: pos, to: pos };
}
