// Starting points for a new line-shift (spec Clarifications): production "copy previous shift"
// copies the crew/work-order set-up of the last earlier shift of the same type (not its counts),
// attendance starts with every active employee of the line present at the shift's standard hours.
import type { Row } from './records';

export function isoDay(d: Date): string {
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${m}-${day}`;
}

export function addDays(iso: string, n: number): string {
  const [y, m, d] = iso.split('-').map(Number);
  return isoDay(new Date(y, m - 1, d + n));
}

/// Fields that describe how a shift was set up; counts and notes are left for the user.
const PRODUCTION_COPY = ['work_order_id', 'job_id', 'operation_id', 'employees_assigned', 'shift_hours_scheduled'];

/// From a list ordered by date desc, the rows of the most recent shift date, re-dated to `date`.
export function copyPreviousShift(items: Row[], date: string, shiftType: string): Record<string, string>[] {
  const last = items.find((r) => typeof r.shift_date === 'string')?.shift_date;
  if (!last) return [];
  return items
    .filter((r) => r.shift_date === last)
    .map((r) => {
      const out: Record<string, string> = { shift_date: date, shift_type: shiftType };
      for (const f of PRODUCTION_COPY) if (r[f] !== null && r[f] !== undefined) out[f] = String(r[f]);
      return out;
    });
}

/// Attendance rows for employees that have none for (date, shift) yet.
export function attendancePrefill(
  employees: Row[],
  existing: { employee_id?: string | null; shift_date?: string | null; shift_type?: string | null }[],
  date: string,
  shiftType: string,
  standardHours: number | null,
): Record<string, string>[] {
  const have = new Set(existing.filter((r) => r.shift_date === date && r.shift_type === shiftType).map((r) => r.employee_id));
  const hours = standardHours === null ? '' : String(standardHours);
  return employees
    .filter((e) => e.is_active !== false && e.is_floating_pool !== true && !have.has(String(e.employee_id)))
    .map((e) => ({
      employee_id: String(e.employee_id),
      shift_date: date,
      shift_type: shiftType,
      is_absent: 'false',
      scheduled_hours: hours,
      actual_hours: hours,
    }));
}
