// Pure presentation rules for KPI values: status colour, confidence badge, number and date
// formatting, and the default date window. No Vue here, so it is unit-tested directly.
import type { KpiResult, KpiStatus } from './types';

export type StatusTone = 'ok' | 'warn' | 'bad' | 'none';

/// Status colour from the server's status (kpis.md §1 status rule); the UI never recomputes it.
export function statusTone(status: KpiStatus | string | undefined): StatusTone {
  switch (status) {
    case 'on_target':
      return 'ok';
    case 'at_risk':
      return 'warn';
    case 'off_target':
      return 'bad';
    default:
      return 'none';
  }
}

/// Measured / estimated / low marks (kpis.md §5.3): level 1 only = measured, max level 2-3 =
/// estimated, 4-5 = low. Without inference_level_max we fall back to `estimated`.
export type ConfidenceKind = 'measured' | 'estimated' | 'low' | 'none';

export function confidenceKind(r: Pick<KpiResult, 'value' | 'estimated' | 'inference_level_max'>): ConfidenceKind {
  if (r.value === null || r.value === undefined) return 'none';
  if (!r.estimated) return 'measured';
  return (r.inference_level_max ?? 2) >= 4 ? 'low' : 'estimated';
}

/// Confidence 0-1 as a whole percentage ("83"), rounded half-up.
export function confidencePercent(c: number | null | undefined): number {
  if (c === null || c === undefined || Number.isNaN(c)) return 0;
  return Math.floor(c * 100 + 0.5 + 1e-9);
}

/// The badge text: "measured" or "estimated 83%" (the words come from t()).
export function confidenceText(
  r: Pick<KpiResult, 'value' | 'estimated' | 'confidence' | 'inference_level_max'>,
  words: { measured: string; estimated: string; noData: string },
): string {
  const kind = confidenceKind(r);
  if (kind === 'none') return words.noData;
  if (kind === 'measured') return words.measured;
  return `${words.estimated} ${confidencePercent(r.confidence)}%`;
}

/// Tooltip of the badge: the inferred inputs, one per line.
export function inferredTooltip(r: Pick<KpiResult, 'inferred_fields'>, heading: string): string {
  const fields = r.inferred_fields ?? [];
  return fields.length ? `${heading}\n${fields.map((f) => `• ${f}`).join('\n')}` : '';
}

/// Values arrive rounded to 2 decimals (kpis.md §1); show them as they are, grouped by locale.
export function formatNumber(v: number | null | undefined, locale = 'en'): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2, minimumFractionDigits: 0 }).format(v);
}

export function formatValue(v: number | null | undefined, unit: string, locale = 'en'): string {
  const n = formatNumber(v, locale);
  if (n === '—') return n;
  return unit === '%' ? `${n} %` : `${n} ${unit}`;
}

/// The value to show: display_value when a display cap applies (kpis.md §1 "never capped").
export function shownValue(r: Pick<KpiResult, 'value' | 'display_value'>): { value: number | null; capped: boolean } {
  const dv = r.display_value;
  if (dv !== undefined && dv !== null && r.value !== null && dv !== r.value) return { value: dv, capped: true };
  return { value: r.value, capped: false };
}

/// YYYY-MM-DD of a local date (not UTC: at 20:00 in Mexico City the UTC date is already tomorrow).
export function isoDay(d: Date): string {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}

/// Default window: the 30 days ending today, inclusive (api.md §7), so from = today - 29.
export function defaultRange(today: Date = new Date()): { from: string; to: string } {
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29);
  return { from: isoDay(from), to: isoDay(today) };
}

/// Whether a window is acceptable before asking the server (which has the final word).
export function rangeProblem(from: string, to: string): 'invalid_range' | 'range_too_large' | null {
  if (!from || !to) return 'invalid_range';
  const a = Date.parse(from + 'T00:00:00Z');
  const b = Date.parse(to + 'T00:00:00Z');
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return 'invalid_range';
  if ((b - a) / 86_400_000 + 1 > 366) return 'range_too_large';
  return null;
}

/// An amount of money in the user's locale: "1,200.00 EUR" (the code, not a symbol: the
/// currency is the client's setting, not the user's).
export function formatMoney(amount: number, currency: string, locale = 'en'): string {
  const n = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount);
  return `${n} ${currency}`;
}
