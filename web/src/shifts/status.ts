// Shift status and close (spec api.md ⊕ shift-status / shift-closes): types and the pure logic
// behind ShiftStatusView (date range, grouping by date, who may close / reopen).
import type { Role } from '../session';

export const COUNT_KEYS = ['production', 'attendance', 'downtime', 'quality'] as const;
export type CountKey = (typeof COUNT_KEYS)[number];

export interface ShiftStatusItem {
  shift_date: string;
  shift_type: string;
  expected: boolean;
  counts: Record<CountKey, number>;
  missing: string[];
  closed: boolean;
  shift_close_id: string | null;
}

export interface ShiftClose {
  shift_close_id: string;
  client_id: string;
  shift_date: string;
  shift_type: string;
  closed_at?: string;
  closed_by?: string;
  missing?: string[];
}

/// The server's range limit (days, both ends included).
export const MAX_RANGE_DAYS = 92;

/// YYYY-MM-DD of a local date.
export function isoDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/// The default range: the last 7 days, today included (the server's default too).
export function defaultRange(today: Date = new Date()): { from: string; to: string } {
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6);
  return { from: isoDate(from), to: isoDate(today) };
}

function parseIso(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  return isoDate(new Date(+m[1], +m[2] - 1, +m[3])) === s ? t : null;
}

/// Checks a range before asking the server; returns a message key, or null when it is fine.
export function rangeError(from: string, to: string): string | null {
  const f = parseIso(from);
  const t = parseIso(to);
  if (f === null || t === null) return 'shifts.badDate';
  if (f > t) return 'shifts.fromAfterTo';
  if ((t - f) / 86_400_000 + 1 > MAX_RANGE_DAYS) return 'shifts.tooLong';
  return null;
}

/// Rows grouped by date, keeping the server's order (newest date first).
export function groupByDate(items: ShiftStatusItem[]): { date: string; items: ShiftStatusItem[] }[] {
  const groups: { date: string; items: ShiftStatusItem[] }[] = [];
  for (const it of items) {
    const last = groups[groups.length - 1];
    if (last && last.date === it.shift_date) last.items.push(it);
    else groups.push({ date: it.shift_date, items: [it] });
  }
  return groups;
}

/// ADMIN and (assigned) LEADER_DATACONFIG may close; the server checks the assignment.
export function canClose(role: Role | undefined): boolean {
  return role === 'ADMIN' || role === 'LEADER_DATACONFIG';
}

/// Reopening (DELETE shift-close) is ADMIN only.
export function canReopen(role: Role | undefined): boolean {
  return role === 'ADMIN';
}

/// A stable test id / DOM id piece for a line-shift.
export function rowKey(it: Pick<ShiftStatusItem, 'shift_date' | 'shift_type'>): string {
  return `${it.shift_date}-${it.shift_type}`;
}
