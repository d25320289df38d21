// The grid's rows and what changed in them. The model, not RevoGrid, is the source of truth: every
// edit, paste, fill and bulk edit goes through `apply`, which records one undo step and keeps the
// dirty state; RevoGrid only shows `rows` (the same objects, so its source never needs copying).
// Cells hold strings ('' = blank); the column description converts them to JSON on save.
import { UndoStack } from './history';

export interface GridRow {
  /// Stable local key: the server id of a stored row, `new:<n>` for a row typed here.
  _key: string;
  /// The server id; null for a new row.
  _id: string | null;
  [prop: string]: string | null;
}

export interface CellWrite {
  row: number;
  prop: string;
  value: string;
}

interface CellChange {
  key: string;
  prop: string;
  before: string;
  after: string;
}

interface Step {
  changes: CellChange[];
  /// Rows this step appended (a paste below the last row); undo removes them again.
  added: GridRow[];
}

let newCounter = 0;

export function newRow(props: string[], defaults: Record<string, string> = {}): GridRow {
  const row: GridRow = { _key: `new:${Date.now().toString(36)}-${++newCounter}`, _id: null };
  for (const p of props) row[p] = defaults[p] ?? '';
  return row;
}

export class GridModel {
  rows: GridRow[] = [];
  /// The stored values of server rows, to tell edited rows and to undo back to clean.
  private originals = new Map<string, Record<string, string>>();
  private history = new UndoStack<Step>();
  private byKey = new Map<string, GridRow>();
  /// Bumped on every change so views can re-render cheaply.
  version = 0;

  constructor(
    public props: string[],
    private readonly makeRow: () => GridRow = () => newRow(props),
  ) {}

  /// Replaces the server rows (a new filter or load) and keeps the new rows typed so far.
  setServerRows(rows: GridRow[], keepNew: GridRow[] = this.rows.filter((r) => r._id === null)): void {
    this.originals.clear();
    for (const r of rows) this.originals.set(r._key, snapshot(r, this.props));
    this.rows = [...rows, ...keepNew];
    this.reindex();
    this.history.clear();
    this.version++;
  }

  /// Appends more server rows (the next page); rows already present are skipped.
  appendServerRows(rows: GridRow[]): void {
    const fresh = rows.filter((r) => !this.byKey.has(r._key));
    for (const r of fresh) this.originals.set(r._key, snapshot(r, this.props));
    const firstNew = this.rows.findIndex((r) => r._id === null);
    if (firstNew < 0) this.rows.push(...fresh);
    else this.rows.splice(firstNew, 0, ...fresh);
    this.reindex();
    this.version++;
  }

  /// Applies writes as one undo step; writes below the last row append new rows.
  apply(writes: CellWrite[]): number {
    const step: Step = { changes: [], added: [] };
    for (const w of writes) {
      while (w.row >= this.rows.length) {
        const r = this.makeRow();
        this.rows.push(r);
        this.byKey.set(r._key, r);
        step.added.push(r);
      }
      const row = this.rows[w.row];
      if (!this.props.includes(w.prop)) continue;
      const before = row[w.prop] ?? '';
      if (before === w.value) continue;
      row[w.prop] = w.value;
      step.changes.push({ key: row._key, prop: w.prop, before, after: w.value });
    }
    if (step.changes.length === 0 && step.added.length === 0) return 0;
    this.history.push(step);
    this.version++;
    return step.changes.length;
  }

  addRows(rows: GridRow[]): void {
    for (const r of rows) {
      this.rows.push(r);
      this.byKey.set(r._key, r);
    }
    this.history.push({ changes: [], added: rows });
    this.version++;
  }

  /// Appends a row outside the undo history (the always-present blank row at the bottom).
  appendUntracked(row: GridRow): void {
    this.rows.push(row);
    this.byKey.set(row._key, row);
    this.version++;
  }

  undo(): boolean {
    const step = this.history.undo();
    if (!step) return false;
    for (const c of [...step.changes].reverse()) {
      const row = this.byKey.get(c.key);
      if (row) row[c.prop] = c.before;
    }
    if (step.added.length) {
      const gone = new Set(step.added);
      this.rows = this.rows.filter((r) => !gone.has(r));
      for (const r of step.added) this.byKey.delete(r._key);
    }
    this.version++;
    return true;
  }

  redo(): boolean {
    const step = this.history.redo();
    if (!step) return false;
    for (const r of step.added) {
      this.rows.push(r);
      this.byKey.set(r._key, r);
    }
    for (const c of step.changes) {
      const row = this.byKey.get(c.key);
      if (row) row[c.prop] = c.after;
    }
    this.version++;
    return true;
  }

  get canUndo(): boolean {
    return this.history.canUndo;
  }
  get canRedo(): boolean {
    return this.history.canRedo;
  }

  /// Removes rows from the grid (a deleted or discarded row); not undoable, nothing to revert to.
  remove(keys: string[]): void {
    const gone = new Set(keys);
    this.rows = this.rows.filter((r) => !gone.has(r._key));
    for (const k of keys) {
      this.byKey.delete(k);
      this.originals.delete(k);
    }
    this.history.clear();
    this.version++;
  }

  /// Re-applies a stored draft (not an undo step: it is where the user left off).
  restore(edited: { row: GridRow; original: Record<string, string> }[], newRows: GridRow[]): void {
    for (const e of edited) {
      const here = this.byKey.get(e.row._key);
      if (here) {
        for (const p of this.props) if (e.row[p] !== undefined) here[p] = e.row[p];
      } else {
        const firstNew = this.rows.findIndex((r) => r._id === null);
        const row = { ...e.row };
        if (firstNew < 0) this.rows.push(row);
        else this.rows.splice(firstNew, 0, row);
        this.byKey.set(row._key, row);
      }
      if (!this.originals.has(e.row._key)) this.originals.set(e.row._key, { ...e.original });
    }
    for (const r of newRows) {
      if (this.byKey.has(r._key)) continue;
      const row = { ...r };
      this.rows.push(row);
      this.byKey.set(row._key, row);
    }
    this.version++;
  }

  /// A server row saved: its current values become the clean state.
  markSaved(key: string, saved?: GridRow): void {
    const row = this.byKey.get(key);
    if (!row) return;
    if (saved) for (const p of this.props) row[p] = saved[p] ?? '';
    this.originals.set(key, snapshot(row, this.props));
    this.version++;
  }

  row(key: string): GridRow | undefined {
    return this.byKey.get(key);
  }

  indexOf(key: string): number {
    return this.rows.findIndex((r) => r._key === key);
  }

  /// The props of a server row that differ from what the server holds.
  changedProps(row: GridRow): string[] {
    const orig = this.originals.get(row._key);
    if (!orig) return [];
    return this.props.filter((p) => (row[p] ?? '') !== orig[p]);
  }

  original(key: string): Record<string, string> | undefined {
    return this.originals.get(key);
  }

  /// New rows with at least one value typed.
  newRows(): GridRow[] {
    return this.rows.filter((r) => r._id === null && this.props.some((p) => (r[p] ?? '') !== ''));
  }

  /// Server rows that differ from the stored values.
  editedRows(): GridRow[] {
    return this.rows.filter((r) => r._id !== null && this.changedProps(r).length > 0);
  }

  isDirty(row: GridRow): boolean {
    return row._id === null ? this.props.some((p) => (row[p] ?? '') !== '') : this.changedProps(row).length > 0;
  }

  get dirtyCount(): number {
    return this.newRows().length + this.editedRows().length;
  }

  private reindex(): void {
    this.byKey = new Map(this.rows.map((r) => [r._key, r]));
  }
}

function snapshot(row: GridRow, props: string[]): Record<string, string> {
  const s: Record<string, string> = {};
  for (const p of props) s[p] = row[p] ?? '';
  return s;
}
