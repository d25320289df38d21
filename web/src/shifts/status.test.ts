import { describe, expect, it } from 'vitest';
import { canClose, canReopen, defaultRange, groupByDate, rangeError, rowKey, type ShiftStatusItem } from './status';
import { fill } from './messages';

const item = (shift_date: string, shift_type: string): ShiftStatusItem => ({
  shift_date,
  shift_type,
  expected: true,
  counts: { production: 0, attendance: 0, downtime: 0, quality: 0 },
  missing: [],
  closed: false,
  shift_close_id: null,
});

describe('shift status helpers', () => {
  it('defaults to the last 7 days, today included', () => {
    expect(defaultRange(new Date(2026, 10, 25))).toEqual({ from: '2026-11-19', to: '2026-11-25' });
    expect(defaultRange(new Date(2026, 2, 3))).toEqual({ from: '2026-02-25', to: '2026-03-03' });
  });
  it('checks a range like the server does', () => {
    expect(rangeError('2026-11-01', '2026-11-25')).toBeNull();
    expect(rangeError('2026-11-25', '2026-11-25')).toBeNull();
    expect(rangeError('2026-11-26', '2026-11-25')).toBe('shifts.fromAfterTo');
    expect(rangeError('', '2026-11-25')).toBe('shifts.badDate');
    expect(rangeError('2026-02-30', '2026-03-01')).toBe('shifts.badDate');
    // 92 days inclusive is the limit.
    expect(rangeError('2026-01-01', '2026-04-02')).toBeNull();
    expect(rangeError('2026-01-01', '2026-04-03')).toBe('shifts.tooLong');
  });
  it('groups rows by date keeping the order', () => {
    const g = groupByDate([item('2026-11-25', 'A'), item('2026-11-25', 'B'), item('2026-11-24', 'A')]);
    expect(g.map((x) => [x.date, x.items.map((i) => i.shift_type)])).toEqual([
      ['2026-11-25', ['A', 'B']],
      ['2026-11-24', ['A']],
    ]);
    expect(groupByDate([])).toEqual([]);
  });
  it('lets ADMIN and LEADER close, only ADMIN reopen', () => {
    expect(canClose('ADMIN')).toBe(true);
    expect(canClose('LEADER_DATACONFIG')).toBe(true);
    expect(canClose('OPERATOR_DATAENTRY')).toBe(false);
    expect(canClose('POWERUSER')).toBe(false);
    expect(canClose(undefined)).toBe(false);
    expect(canReopen('ADMIN')).toBe(true);
    expect(canReopen('LEADER_DATACONFIG')).toBe(false);
  });
  it('builds row keys and fills messages', () => {
    expect(rowKey(item('2026-11-24', 'SHIFT_1ST'))).toBe('2026-11-24-SHIFT_1ST');
    expect(fill('{shift} of {date} {x}', { shift: 'S1', date: 'D' })).toBe('S1 of D {x}');
  });
});
