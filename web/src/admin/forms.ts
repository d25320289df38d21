// Small pure helpers for the admin forms (unit-tested): which fields changed, blank-to-null number
// parsing, and the messages of an ApiError per field.
import { ApiError } from '../api/client';

/// The keys of `next` whose value differs from `prev` (arrays compared by content), so a PATCH
/// carries only what the admin changed.
export function changedFields<T extends Record<string, unknown>>(prev: T, next: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(next) as (keyof T)[]) {
    const a = prev[k];
    const b = next[k];
    const same = Array.isArray(a) && Array.isArray(b) ? JSON.stringify([...a].sort()) === JSON.stringify([...b].sort()) : a === b;
    if (!same) out[k] = b;
  }
  return out;
}

/// "" → null (no target), "1,5" or "1.5" → 1.5, anything else → NaN (the form shows an error).
export function parseOptionalNumber(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return raw;
  const s = raw.trim().replace(',', '.');
  if (!s) return null;
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
}

/// Blank optional text → null, so clearing a field clears it on the server.
export function blankToNull(v: string | null | undefined): string | null {
  const s = (v ?? '').trim();
  return s ? s : null;
}

/// The error text for a form: the message plus one line per field detail.
export function errorLines(e: unknown): string[] {
  if (e instanceof ApiError) {
    return [e.message, ...e.details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message))];
  }
  return [e instanceof Error ? e.message : String(e)];
}
