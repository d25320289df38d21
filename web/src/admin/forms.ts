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

/// Strategies a client may switch on in `settings.inference.chains` (kpis.md §5.2; built-in
/// strategies always run, in their built-in order).
export const OFF_BY_DEFAULT = [
  { chain: 'downtime_minutes', strategy: 'assume_30' },
  { chain: 'total_defects_count', strategy: 'defective_x1_5' },
] as const;

export type Chains = Record<string, string[]>;

/// Whether `strategy` is named (so switched on) in the chains setting.
export function isSwitchedOn(chains: Chains | undefined, chain: string, strategy: string): boolean {
  return (chains?.[chain] ?? []).includes(strategy);
}

/// The chains setting with `strategy` of `chain` switched on or off; other names are kept, an
/// emptied list is dropped. Returns a new object.
export function withSwitch(chains: Chains | undefined, chain: string, strategy: string, on: boolean): Chains {
  const out: Chains = { ...(chains ?? {}) };
  const list = (out[chain] ?? []).filter((s) => s !== strategy);
  if (on) list.push(strategy);
  if (list.length) out[chain] = list;
  else delete out[chain];
  return out;
}
