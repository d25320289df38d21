// Clipboard text ⇄ cell matrix. Excel and LibreOffice put tab-separated text on the clipboard:
// cells holding a tab, a newline or a quote are wrapped in quotes with inner quotes doubled, rows end
// with CRLF (Windows) or LF, and the last row is followed by a line break that is not an extra row.
// RevoGrid's own parser splits on every newline, which breaks quoted multi-line cells, so pastes go
// through here instead.

/// Parses clipboard text into rows of cells. A quote only opens a quoted cell at the start of a
/// cell (Excel writes `5" screen` unquoted when it holds no tab or newline).
export function parseClipboard(text: string): string[][] {
  if (!text) return [];
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  const n = text.length;
  let cellStart = true;
  while (i < n) {
    const ch = text[i];
    if (cellStart && ch === '"') {
      // Quoted cell: read to the closing quote; "" is a literal quote.
      const close = findClosingQuote(text, i + 1);
      if (close < 0) {
        // Unbalanced quote: treat the rest of the cell literally (what a spreadsheet would show).
        cellStart = false;
        cell += ch;
        i++;
        continue;
      }
      cell += text.slice(i + 1, close).replace(/""/g, '"');
      i = close + 1;
      cellStart = false;
      continue;
    }
    cellStart = false;
    if (ch === '\t') {
      row.push(cell);
      cell = '';
      cellStart = true;
      i++;
    } else if (ch === '\r' || ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      cellStart = true;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      cell += ch;
      i++;
    }
  }
  // The trailing line break after the last row does not start a new row.
  if (!cellStart || cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/// The index of the quote closing a quoted cell that started before `from`, or -1. The closing
/// quote must be followed by a tab, a line break or the end of the text.
function findClosingQuote(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const q = text.indexOf('"', i);
    if (q < 0) return -1;
    if (text[q + 1] === '"') {
      i = q + 2;
      continue;
    }
    const next = text[q + 1];
    if (next === undefined || next === '\t' || next === '\n' || next === '\r') return q;
    // A quote inside the cell that is not doubled: not a well-formed quoted cell.
    return -1;
  }
  return -1;
}

/// Cells to clipboard text the way Excel writes it (quotes only where needed, CRLF rows).
export function toClipboard(rows: string[][]): string {
  return rows
    .map((r) => r.map((c) => (/[\t\n\r"]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join('\t'))
    .join('\r\n');
}
