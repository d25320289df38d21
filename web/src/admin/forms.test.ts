import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { blankToNull, changedFields, errorLines, isSwitchedOn, parseOptionalNumber, withSwitch } from './forms';

describe('admin form helpers', () => {
  it('switches an off-by-default strategy on and off, keeping the other names', () => {
    const on = withSwitch({ employees_assigned: ['recorded'] }, 'downtime_minutes', 'assume_30', true);
    expect(on).toEqual({ employees_assigned: ['recorded'], downtime_minutes: ['assume_30'] });
    expect(isSwitchedOn(on, 'downtime_minutes', 'assume_30')).toBe(true);
    expect(withSwitch(on, 'downtime_minutes', 'assume_30', true).downtime_minutes).toEqual(['assume_30']);
    const kept = withSwitch({ downtime_minutes: ['recorded', 'assume_30'] }, 'downtime_minutes', 'assume_30', false);
    expect(kept).toEqual({ downtime_minutes: ['recorded'] });
    expect(withSwitch(on, 'downtime_minutes', 'assume_30', false)).toEqual({ employees_assigned: ['recorded'] });
    expect(isSwitchedOn(undefined, 'total_defects_count', 'defective_x1_5')).toBe(false);
  });
  it('keeps only changed fields, arrays by content', () => {
    const prev = { role: 'ADMIN', client_ids: ['A', 'B'], email: 'a@x', is_active: true };
    expect(changedFields(prev, { role: 'ADMIN', client_ids: ['B', 'A'], email: 'b@x', is_active: false })).toEqual({
      email: 'b@x',
      is_active: false,
    });
  });
  it('parses optional numbers with either decimal mark', () => {
    expect(parseOptionalNumber('')).toBeNull();
    expect(parseOptionalNumber('  ')).toBeNull();
    expect(parseOptionalNumber('90')).toBe(90);
    expect(parseOptionalNumber('1,5')).toBe(1.5);
    expect(parseOptionalNumber(7)).toBe(7);
    expect(parseOptionalNumber('abc')).toBeNaN();
  });
  it('turns blanks into null', () => {
    expect(blankToNull('  ')).toBeNull();
    expect(blankToNull(' x ')).toBe('x');
  });
  it('lists the message and field details of an ApiError', () => {
    const e = new ApiError(422, 'validation_failed', 'some fields are invalid', [{ field: 'password', message: 'too short' }]);
    expect(errorLines(e)).toEqual(['some fields are invalid', 'password: too short']);
    expect(errorLines(new Error('boom'))).toEqual(['boom']);
  });
});
