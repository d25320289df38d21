import { describe, expect, it } from 'vitest';
import { localeOf, normalizeCell, toIsoDate, toIsoDecimal } from './locale';

const es = localeOf('es-ES');
const us = localeOf('en-US');

describe('toIsoDate', () => {
  it('converts day-first dates', () => {
    expect(toIsoDate('15/12/2025', es)).toBe('2025-12-15');
    expect(toIsoDate('15.12.2025', es)).toBe('2025-12-15');
    expect(toIsoDate('5-1-25', es)).toBe('2025-01-05');
  });
  it('uses the locale only when ambiguous', () => {
    expect(toIsoDate('03/04/2025', es)).toBe('2025-04-03');
    expect(toIsoDate('03/04/2025', us)).toBe('2025-03-04');
    expect(toIsoDate('15/12/2025', us)).toBe('2025-12-15');
    expect(toIsoDate('12/15/2025', es)).toBe('2025-12-15');
  });
  it('leaves ISO dates, blanks and nonsense untouched', () => {
    expect(toIsoDate('2025-12-15', es)).toBe('2025-12-15');
    expect(toIsoDate('2025-12-15 00:00', es)).toBe('2025-12-15 00:00');
    expect(toIsoDate('', es)).toBe('');
    expect(toIsoDate('31/02/2025', es)).toBe('31/02/2025');
    expect(toIsoDate('tomorrow', es)).toBe('tomorrow');
  });
  it('reads year-first with slashes', () => {
    expect(toIsoDate('2025/12/5', us)).toBe('2025-12-05');
  });
});

describe('toIsoDecimal', () => {
  it('converts comma decimals and thousands separators', () => {
    expect(toIsoDecimal('1,5', es)).toBe('1.5');
    expect(toIsoDecimal('1.234,5', es)).toBe('1234.5');
    expect(toIsoDecimal('1,234.5', us)).toBe('1234.5');
    expect(toIsoDecimal('1 234,5', es)).toBe('1234.5');
    expect(toIsoDecimal('1.234.567', es)).toBe('1234567');
  });
  it('reads a single separator before three digits with the locale', () => {
    expect(toIsoDecimal('1,234', es)).toBe('1.234');
    expect(toIsoDecimal('1,234', us)).toBe('1234');
    expect(toIsoDecimal('0,125', us)).toBe('0.125');
  });
  it('leaves ISO numbers and text untouched', () => {
    expect(toIsoDecimal('1.5', es)).toBe('1.5');
    expect(toIsoDecimal('42', es)).toBe('42');
    expect(toIsoDecimal('-3', es)).toBe('-3');
    expect(toIsoDecimal('abc', es)).toBe('abc');
    expect(toIsoDecimal('1e3', es)).toBe('1e3');
  });
});

describe('normalizeCell', () => {
  it('converts by column kind only', () => {
    expect(normalizeCell('1,5', 'decimal', es)).toBe('1.5');
    expect(normalizeCell('15/12/2025', 'date', es)).toBe('2025-12-15');
    expect(normalizeCell('15/12/2025', 'other', es)).toBe('15/12/2025');
  });
});
