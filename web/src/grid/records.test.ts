import { describe, expect, it } from 'vitest';
import { describeColumns, templateHeader, toJson, type ColumnDesc } from './columns';
import { entryFromRow, patchFromRow, previewErrors, rowFromRecord } from './records';
import { RESOURCE_SPECS } from './resourceSpec';

const schema = {
  required: ['work_order_id', 'units_produced'],
  properties: {
    production_entry_id: { type: 'string', readOnly: true },
    work_order_id: { type: 'string' },
    shift_date: { type: 'string', format: 'date' },
    shift_type: { type: 'string', enum: ['SHIFT_1ST', 'SHIFT_2ND'] },
    units_produced: { type: 'integer' },
    run_time_hours: { type: 'number' },
  },
};
const cols: ColumnDesc[] = describeColumns(
  templateHeader('\uFEFFwork_order_id,client_id,shift_date,shift_type,units_produced,run_time_hours\r\nx,y\r\n'),
  schema,
  { ...RESOURCE_SPECS.production, extra: [] },
);

describe('columns', () => {
  it('follow the template order, drop the tenant column, add the key read-only', () => {
    expect(cols.map((c) => c.prop)).toEqual([
      'work_order_id',
      'shift_date',
      'shift_type',
      'units_produced',
      'run_time_hours',
      'production_entry_id',
    ]);
    expect(cols.map((c) => c.kind)).toEqual(['text', 'date', 'enum', 'integer', 'decimal', 'text']);
    expect(cols.at(-1)!.editable).toBe(false);
  });
  it('convert text to JSON by kind, leaving unreadable text for the server to reject', () => {
    expect(toJson('12', cols[3])).toBe(12);
    expect(toJson('1.5', cols[4])).toBe(1.5);
    expect(toJson('abc', cols[3])).toBe('abc');
    expect(toJson('shift_2nd', cols[2])).toBe('SHIFT_2ND');
    expect(toJson(' ', cols[0])).toBeNull();
  });
});

describe('records', () => {
  it('a new row becomes a batch entry without blanks; an edit becomes a PATCH of changed fields', () => {
    const row = rowFromRecord({ production_entry_id: 'P1', work_order_id: 'WO', units_produced: 5, run_time_hours: null }, cols, 'production_entry_id');
    expect(row.units_produced).toBe('5');
    expect(row.run_time_hours).toBe('');
    expect(entryFromRow(row, cols)).toEqual({ work_order_id: 'WO', units_produced: 5 });
    row.run_time_hours = '2.5';
    expect(patchFromRow(row, ['run_time_hours', 'production_entry_id'], cols)).toEqual({ run_time_hours: 2.5 });
  });
  it('preview row errors land on the cells of the grid row at that position', () => {
    const errs = previewErrors(
      [
        { line: 1, status: 'valid', errors: [] },
        { line: 2, status: 'invalid', errors: [{ field: 'shift_date', message: 'Invalid date' }, { field: null, message: 'Duplicate' }] },
      ],
      ['new:a', 'new:b'],
    );
    expect(errs.get('new:b')!.get('shift_date')).toBe('Invalid date');
    expect(errs.get('new:b')!.get('*')).toBe('Duplicate');
    expect(errs.has('new:a')).toBe(false);
  });
});
