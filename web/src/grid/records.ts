// Grid rows ⇄ API records, and server errors → cells. A new row becomes one entry of the batch
// preview (blank cells left out, so optional and inferable fields stay blank); an edited row
// becomes a PATCH with only the changed fields (blank = null clears the field).
import { fromJson, toJson, type ColumnDesc } from './columns';
import { newRow, type GridRow } from './model';

export type Row = Record<string, unknown>;

export function rowFromRecord(rec: Row, cols: ColumnDesc[], key: string): GridRow {
  const id = String(rec[key] ?? '');
  const row: GridRow = { _key: id, _id: id };
  for (const c of cols) row[c.prop] = fromJson(rec[c.prop]);
  return row;
}

export function entryFromRow(row: GridRow, cols: ColumnDesc[]): Row {
  const out: Row = {};
  for (const c of cols) {
    // Server fields are never sent; a user-typed key (newOnly) is editable and sent on create.
    if (!c.editable) continue;
    const v = toJson(row[c.prop] ?? '', c);
    if (v !== null) out[c.prop] = v;
  }
  return out;
}

export function patchFromRow(row: GridRow, changed: string[], cols: ColumnDesc[]): Row {
  const out: Row = {};
  for (const p of changed) {
    const c = cols.find((x) => x.prop === p);
    if (c && c.editable && !c.newOnly) out[p] = toJson(row[p] ?? '', c);
  }
  return out;
}

export function blankRow(cols: ColumnDesc[], defaults: Record<string, string> = {}): GridRow {
  return newRow(
    cols.map((c) => c.prop),
    defaults,
  );
}

/// Errors shown on cells: row key → prop → message ('*' = the whole row).
export type CellErrors = Map<string, Map<string, string>>;

export interface RowError {
  line?: number;
  field?: string | null;
  code?: string;
  message: string;
}

/// Puts errors on their row's cells; `field` null marks the whole row.
export function addErrors(target: CellErrors, key: string, errors: RowError[]): void {
  if (errors.length === 0) return;
  const m = target.get(key) ?? new Map<string, string>();
  for (const e of errors) {
    const prop = e.field || '*';
    m.set(prop, m.has(prop) ? `${m.get(prop)}; ${e.message}` : e.message);
  }
  target.set(key, m);
}

/// Batch preview rows carry `line` = 1-based position in `entries`: map them back to grid keys.
export function previewErrors(
  rows: { line: number; status: string; errors: RowError[] }[],
  keys: string[],
): CellErrors {
  const out: CellErrors = new Map();
  for (const r of rows) {
    const key = keys[r.line - 1];
    if (key && r.status !== 'valid') addErrors(out, key, r.errors);
  }
  return out;
}

/// One line per edited row for the read-back: `<id>: field old → new, …`.
export function editLine(id: string, changed: string[], row: GridRow, orig: Record<string, string>): string {
  return `${id}: ${changed.map((p) => `${p} ${orig[p] || '∅'} → ${row[p] || '∅'}`).join(', ')}`;
}
