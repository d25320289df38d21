import { describe, expect, it } from 'vitest';
import { errorsCsv, flattenErrors } from './rowErrors';

describe('row errors', () => {
  it('flattens preview rows to line/field/message and writes the errors CSV', () => {
    const errs = flattenErrors([
      { line: 2, errors: [] },
      { line: 3, errors: [{ line: 3, field: 'shift_date', message: 'Invalid date format (use YYYY-MM-DD)' }] },
      { line: 5, errors: [{ field: null, message: 'Duplicate entry, "same" as line 3' }] },
    ]);
    expect(errs).toEqual([
      { line: 3, field: 'shift_date', message: 'Invalid date format (use YYYY-MM-DD)' },
      { line: 5, field: '', message: 'Duplicate entry, "same" as line 3' },
    ]);
    expect(errorsCsv(errs)).toBe(
      'line,field,message\r\n3,shift_date,Invalid date format (use YYYY-MM-DD)\r\n5,,"Duplicate entry, ""same"" as line 3"\r\n',
    );
  });
});
