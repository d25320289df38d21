import { describe, expect, it } from 'vitest';
import { addDays, attendancePrefill, copyPreviousShift } from './prefill';

describe('prefill', () => {
  it('copies the set-up of the latest shift, re-dated, without counts', () => {
    const items = [
      { shift_date: '2025-12-14', work_order_id: 'WO-1', units_produced: 50, employees_assigned: 10, job_id: null },
      { shift_date: '2025-12-14', work_order_id: 'WO-2', units_produced: 5, employees_assigned: 2 },
      { shift_date: '2025-12-13', work_order_id: 'WO-0', units_produced: 7 },
    ];
    expect(copyPreviousShift(items, '2025-12-15', 'SHIFT_1ST')).toEqual([
      { shift_date: '2025-12-15', shift_type: 'SHIFT_1ST', work_order_id: 'WO-1', employees_assigned: '10' },
      { shift_date: '2025-12-15', shift_type: 'SHIFT_1ST', work_order_id: 'WO-2', employees_assigned: '2' },
    ]);
    expect(copyPreviousShift([], '2025-12-15', 'SHIFT_1ST')).toEqual([]);
  });
  it('pre-fills attendance with active line employees not yet entered', () => {
    const rows = attendancePrefill(
      [
        { employee_id: 'E1', is_active: true, is_floating_pool: false },
        { employee_id: 'E2', is_active: true, is_floating_pool: false },
        { employee_id: 'F1', is_active: true, is_floating_pool: true },
      ],
      [{ employee_id: 'E2', shift_date: '2025-12-15', shift_type: 'SHIFT_1ST' }],
      '2025-12-15',
      'SHIFT_1ST',
      9,
    );
    expect(rows).toEqual([
      { employee_id: 'E1', shift_date: '2025-12-15', shift_type: 'SHIFT_1ST', is_absent: 'false', scheduled_hours: '9', actual_hours: '9' },
    ]);
  });
  it('adds days across month ends', () => {
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
  });
});
