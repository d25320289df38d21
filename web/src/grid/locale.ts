// Dates and decimals typed or pasted the way the user's spreadsheet shows them (15/12/2025, 1,5,
// 1.234,5) become the ISO forms the server accepts (2025-12-15, 1.5, 1234.5) before the read-back:
// the server refuses local formats on purpose (ingest.md §3), so the conversion happens here where
// the user's locale is known. Anything we cannot read is left as typed, so the server's cell error
// shows what the user entered.

export interface NumberLocale {
  /// The decimal separator of the user's locale; decides the ambiguous `1,234` / `1.234`.
  decimal: '.' | ',';
  /// Day before month in numeric dates (15/12/2025); decides the ambiguous `03/04/2025`.
  dayFirst: boolean;
}

/// The locale of a language tag (navigator.language or the app language).
export function localeOf(tag: string): NumberLocale {
  const t = tag.toLowerCase();
  const decimal = /^(en|ja|zh|ko|he|th)\b|^es-(mx|us|gt|hn|ni|sv|pa|do|pr|pe)\b/.test(t) ? '.' : ',';
  // Month-first only where people write it (US and a few others); Spanish everywhere is day-first.
  const dayFirst = !/^en-(us|ph)\b|^en$/.test(t);
  return { decimal, dayFirst };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?$/;

/// `15/12/2025`, `15.12.2025`, `15-12-25`, `2025/12/15` → `2025-12-15`; ISO stays as it is.
export function toIsoDate(input: string, loc: NumberLocale): string {
  const s = input.trim();
  if (s === '' || ISO_DATE.test(s)) return s;
  let m = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(s);
  if (m) return isoOrInput(+m[1], +m[2], +m[3], input);
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(s);
  if (!m) return input;
  const a = +m[1];
  const b = +m[2];
  const year = m[3].length === 2 ? 2000 + +m[3] : +m[3];
  // Unambiguous when one part cannot be a month; otherwise the locale decides.
  let day = loc.dayFirst ? a : b;
  let month = loc.dayFirst ? b : a;
  if (a > 12 && b <= 12) [day, month] = [a, b];
  else if (b > 12 && a <= 12) [day, month] = [b, a];
  return isoOrInput(year, month, day, input);
}

function isoOrInput(y: number, mo: number, d: number, input: string): string {
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return input;
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/// `1,5` → `1.5`, `1.234,5` → `1234.5`, `1,234.5` → `1234.5`, `1 234,5` → `1234.5`; `1.5` stays.
/// A single separator followed by exactly three digits (`1,234`) is read with the locale.
export function toIsoDecimal(input: string, loc: NumberLocale): string {
  let s = input.trim().replace(/[\u00a0\u202f ']/g, '');
  if (s === '') return input.trim();
  if (!/^[+-]?[\d.,]+$/.test(s) || !/\d/.test(s)) return input;
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  let decimal: string | null;
  if (lastComma >= 0 && lastDot >= 0) decimal = lastComma > lastDot ? ',' : '.';
  else if (lastComma < 0 && lastDot < 0) decimal = null;
  else {
    const sep = lastComma >= 0 ? ',' : '.';
    const count = s.split(sep).length - 1;
    const after = s.length - s.lastIndexOf(sep) - 1;
    if (count > 1) decimal = null; // 1.234.567: only thousands separators
    else if (after === 3 && !/^[+-]?0[.,]/.test(s)) decimal = loc.decimal === sep ? sep : null;
    else decimal = sep;
  }
  const thousands = decimal === ',' ? '.' : decimal === '.' ? ',' : null;
  if (thousands) s = s.split(thousands).join('');
  else if (decimal === null) s = s.replace(/[.,]/g, '');
  if (decimal === ',') s = s.replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return input;
  return s.replace(/^\+/, '');
}

/// Cell kinds that get converted (the column description says which a column is).
export type ConvertKind = 'date' | 'decimal' | 'integer' | 'other';

export function normalizeCell(value: string, kind: ConvertKind, loc: NumberLocale): string {
  if (kind === 'date') return toIsoDate(value, loc);
  if (kind === 'decimal' || kind === 'integer') return toIsoDecimal(value, loc);
  return value;
}
