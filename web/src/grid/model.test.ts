import { describe, expect, it } from 'vitest';
import { GridModel, type GridRow } from './model';
import { UndoStack } from './history';
import { fillRangeWrites, pasteWrites } from './paste';
import { parseClipboard } from './tsv';

const props = ['work_order_id', 'shift_date', 'units_produced'];
const server = (id: string, units: string): GridRow => ({
  _key: id,
  _id: id,
  work_order_id: 'WO-1',
  shift_date: '2025-12-15',
  units_produced: units,
});

function model(): GridModel {
  const m = new GridModel(props);
  m.setServerRows([server('P1', '10'), server('P2', '20')]);
  return m;
}

describe('UndoStack', () => {
  it('undoes, redoes, and a new step clears redo', () => {
    const s = new UndoStack<number>();
    s.push(1);
    s.push(2);
    expect(s.undo()).toBe(2);
    expect(s.redo()).toBe(2);
    expect(s.undo()).toBe(2);
    s.push(3);
    expect(s.canRedo).toBe(false);
    expect(s.undo()).toBe(3);
    expect(s.undo()).toBe(1);
    expect(s.undo()).toBeNull();
  });
});

describe('GridModel', () => {
  it('tracks edited rows and turns clean again when edited back', () => {
    const m = model();
    m.apply([{ row: 0, prop: 'units_produced', value: '11' }]);
    expect(m.editedRows().map((r) => r._key)).toEqual(['P1']);
    expect(m.changedProps(m.rows[0])).toEqual(['units_produced']);
    m.apply([{ row: 0, prop: 'units_produced', value: '10' }]);
    expect(m.dirtyCount).toBe(0);
  });

  it('undo and redo one edit', () => {
    const m = model();
    m.apply([{ row: 1, prop: 'units_produced', value: '25' }]);
    expect(m.undo()).toBe(true);
    expect(m.rows[1].units_produced).toBe('20');
    expect(m.dirtyCount).toBe(0);
    expect(m.redo()).toBe(true);
    expect(m.rows[1].units_produced).toBe('25');
  });

  it('a paste that grows the grid is one step; undo removes the rows it added', () => {
    const m = model();
    const matrix = parseClipboard('WO-2\t2025-12-16\t5\nWO-3\t2025-12-16\t6\nWO-4\t2025-12-16\t7\n');
    const writes = pasteWrites(matrix, { columns: props.map((prop) => ({ prop, editable: true })), row: 1, col: 0 });
    m.apply(writes);
    expect(m.rows).toHaveLength(4);
    expect(m.newRows().map((r) => r.work_order_id)).toEqual(['WO-3', 'WO-4']);
    expect(m.editedRows().map((r) => r._key)).toEqual(['P2']);
    m.undo();
    expect(m.rows).toHaveLength(2);
    expect(m.dirtyCount).toBe(0);
    m.redo();
    expect(m.rows).toHaveLength(4);
    expect(m.rows[3].units_produced).toBe('7');
  });

  it('a new edit after undo clears redo', () => {
    const m = model();
    m.apply([{ row: 0, prop: 'units_produced', value: '1' }]);
    m.undo();
    m.apply([{ row: 0, prop: 'units_produced', value: '2' }]);
    expect(m.canRedo).toBe(false);
    expect(m.redo()).toBe(false);
  });

  it('writes that change nothing make no step', () => {
    const m = model();
    expect(m.apply([{ row: 0, prop: 'units_produced', value: '10' }])).toBe(0);
    expect(m.canUndo).toBe(false);
  });

  it('saved rows become clean; new rows are kept across a reload of server rows', () => {
    const m = model();
    m.apply([
      { row: 0, prop: 'units_produced', value: '99' },
      { row: 2, prop: 'work_order_id', value: 'WO-9' },
    ]);
    m.markSaved('P1');
    expect(m.editedRows()).toHaveLength(0);
    m.setServerRows([server('P3', '1')]);
    expect(m.rows.map((r) => r._key)[0]).toBe('P3');
    expect(m.newRows()[0].work_order_id).toBe('WO-9');
  });
});

describe('pasteWrites', () => {
  const cols = [
    { prop: 'id', editable: false },
    { prop: 'a', editable: true },
    { prop: 'b', editable: true },
  ];
  it('skips read-only columns but keeps their place', () => {
    expect(pasteWrites([['x', 'y', 'z']], { columns: cols, row: 0, col: 0 })).toEqual([
      { row: 0, prop: 'a', value: 'y' },
      { row: 0, prop: 'b', value: 'z' },
    ]);
  });
  it('fills a selected range with one copied value and normalizes', () => {
    const w = pasteWrites([['1,5']], {
      columns: cols,
      row: 0,
      col: 1,
      range: { x: 1, y: 0, x1: 2, y1: 1 },
      normalize: (_p, v) => v.replace(',', '.'),
    });
    expect(w).toHaveLength(4);
    expect(new Set(w.map((x) => x.value))).toEqual(new Set(['1.5']));
  });
  it('drops cells that run past the last column', () => {
    expect(pasteWrites([['1', '2', '3']], { columns: cols, row: 0, col: 2 })).toEqual([{ row: 0, prop: 'b', value: '1' }]);
  });
  it('bulk edit sets every editable cell of the range', () => {
    expect(fillRangeWrites('7', { x: 0, y: 0, x1: 2, y1: 1 }, cols)).toHaveLength(4);
  });
});
