import { describe, expect, it } from 'vitest';
import {
  confidenceKind,
  confidencePercent,
  confidenceText,
  defaultRange,
  formatMoney,
  formatValue,
  inferredTooltip,
  isoDay,
  rangeProblem,
  shownValue,
  statusTone,
} from './format';
import { orderKpiNames } from './catalog';

const words = { measured: 'measured', estimated: 'estimated', noData: 'no data' };

describe('statusTone', () => {
  it('maps the server status to a colour', () => {
    expect(statusTone('on_target')).toBe('ok');
    expect(statusTone('at_risk')).toBe('warn');
    expect(statusTone('off_target')).toBe('bad');
    expect(statusTone('no_data')).toBe('none');
    expect(statusTone('no_target')).toBe('none');
    expect(statusTone(undefined)).toBe('none');
  });
});

describe('confidence badge', () => {
  it('says measured for level-1-only values', () => {
    const r = { value: 90, estimated: false, confidence: 1, inference_level_max: 1 };
    expect(confidenceKind(r)).toBe('measured');
    expect(confidenceText(r, words)).toBe('measured');
  });
  it('says estimated NN% with the rounded confidence', () => {
    const r = { value: 99.4, estimated: true, confidence: 0.834, inference_level_max: 3 };
    expect(confidenceKind(r)).toBe('estimated');
    expect(confidenceText(r, words)).toBe('estimated 83%');
    expect(confidencePercent(0.835)).toBe(84);
    expect(confidencePercent(0.85)).toBe(85);
  });
  it('marks level 4-5 as low', () => {
    expect(confidenceKind({ value: 1, estimated: true, inference_level_max: 4 })).toBe('low');
  });
  it('says no data for a null value', () => {
    expect(confidenceText({ value: null, estimated: false, confidence: 0 }, words)).toBe('no data');
  });
  it('lists the inferred inputs in the tooltip', () => {
    expect(inferredTooltip({ inferred_fields: ['a', 'b'] }, 'Inferred:')).toBe('Inferred:\n• a\n• b');
    expect(inferredTooltip({ inferred_fields: [] }, 'Inferred:')).toBe('');
  });
});

describe('values', () => {
  it('formats with unit and shows a dash for null', () => {
    expect(formatValue(23.15, '%')).toBe('23.15 %');
    expect(formatValue(10000, 'ppm')).toBe('10,000 ppm');
    expect(formatValue(null, '%')).toBe('—');
    expect(formatValue(1.5, 'days', 'es')).toBe('1,5 days');
  });
  it('uses display_value when a display cap applies', () => {
    expect(shownValue({ value: 180, display_value: 150 })).toEqual({ value: 150, capped: true });
    expect(shownValue({ value: 80, display_value: 80 })).toEqual({ value: 80, capped: false });
    expect(shownValue({ value: null, display_value: null })).toEqual({ value: null, capped: false });
  });
});

describe('date window', () => {
  it('defaults to the 30 days ending today, inclusive', () => {
    expect(defaultRange(new Date(2025, 11, 15))).toEqual({ from: '2025-11-16', to: '2025-12-15' });
    expect(defaultRange(new Date(2024, 2, 1))).toEqual({ from: '2024-02-01', to: '2024-03-01' }) // leap year;
  });
  it('formats local dates, not UTC ones', () => {
    expect(isoDay(new Date(2025, 0, 5, 23, 30))).toBe('2025-01-05');
  });
  it('rejects reversed and over-long windows', () => {
    expect(rangeProblem('2025-01-02', '2025-01-01')).toBe('invalid_range');
    expect(rangeProblem('', '2025-01-01')).toBe('invalid_range');
    expect(rangeProblem('2025-01-01', '2026-01-01')).toBeNull(); // 366 days inclusive
    expect(rangeProblem('2025-01-01', '2026-01-02')).toBe('range_too_large');
    expect(rangeProblem('2025-01-01', '2025-01-01')).toBeNull();
  });
});

describe('orderKpiNames', () => {
  it('puts known KPIs in dashboard order and unknown ones after', () => {
    expect(orderKpiNames(['ppm', 'zeta', 'oee', 'alpha'])).toEqual(['oee', 'ppm', 'alpha', 'zeta']);
  });
});

describe('formatMoney', () => {
  it('formats money with two decimals and the currency code', () => {
    expect(formatMoney(1200, 'EUR')).toBe('1,200.00 EUR');
    expect(formatMoney(1200.5, 'EUR', 'es')).toBe('1200,50 EUR');
    expect(formatMoney(0.005, 'USD')).toBe('0.01 USD');
  });
});
