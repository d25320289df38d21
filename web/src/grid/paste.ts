// Where a pasted block lands: cell by cell from the focused cell to the right and down, growing the
// grid with new rows below the last one. One copied value pasted over a selected range fills the
// whole range (as in Excel). Read-only columns keep their place but are not written, so blocks
// copied from a sheet laid out like the CSV template line up column for column.
import type { CellWrite } from './model';

export interface PasteTarget {
  /// Visible column props in order, and which of them accept input.
  columns: { prop: string; editable: boolean }[];
  /// The focused cell (row index, column index).
  row: number;
  col: number;
  /// The selected range, inclusive, when more than one cell is selected.
  range?: { x: number; y: number; x1: number; y1: number } | null;
  /// Converts a pasted cell for its column (locale dates and decimals → ISO).
  normalize?: (prop: string, value: string) => string;
}

export function pasteWrites(matrix: string[][], t: PasteTarget): CellWrite[] {
  if (matrix.length === 0) return [];
  const norm = t.normalize ?? ((_p: string, v: string) => v);
  const writes: CellWrite[] = [];
  const put = (row: number, col: number, raw: string) => {
    const c = t.columns[col];
    if (!c || !c.editable) return;
    // Spreadsheet cells may carry CRLF inside quotes; the server refuses CR as a control character.
    writes.push({ row, prop: c.prop, value: norm(c.prop, raw.replace(/\r\n?/g, '\n').trim()) });
  };
  const single = matrix.length === 1 && matrix[0].length === 1;
  if (single && t.range && (t.range.x1 > t.range.x || t.range.y1 > t.range.y)) {
    for (let y = t.range.y; y <= t.range.y1; y++)
      for (let x = t.range.x; x <= t.range.x1; x++) put(y, x, matrix[0][0]);
    return writes;
  }
  const startRow = t.range ? Math.min(t.row, t.range.y) : t.row;
  const startCol = t.range ? Math.min(t.col, t.range.x) : t.col;
  matrix.forEach((cells, dy) => cells.forEach((v, dx) => put(startRow + dy, startCol + dx, v)));
  return writes;
}

/// Bulk edit: one value on every editable cell of the selected range.
export function fillRangeWrites(
  value: string,
  range: { x: number; y: number; x1: number; y1: number },
  columns: { prop: string; editable: boolean }[],
  normalize?: (prop: string, value: string) => string,
): CellWrite[] {
  const writes: CellWrite[] = [];
  for (let y = range.y; y <= range.y1; y++)
    for (let x = range.x; x <= range.x1; x++) {
      const c = columns[x];
      if (c?.editable) writes.push({ row: y, prop: c.prop, value: normalize ? normalize(c.prop, value.trim()) : value.trim() });
    }
  return writes;
}
