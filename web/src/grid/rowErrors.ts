// Row errors of a preview as a list and as the "Download errors" CSV (ingest.md §7 CSV flow:
// `line,field,message`, quoted like any CSV so messages with commas survive).
import type { RowError } from './records';

export interface LineError {
  line: number;
  field: string;
  message: string;
}

export function flattenErrors(rows: { line: number; errors: RowError[] }[]): LineError[] {
  return rows.flatMap((r) => r.errors.map((e) => ({ line: e.line ?? r.line, field: e.field ?? '', message: e.message })));
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function errorsCsv(errors: LineError[]): string {
  return ['line,field,message', ...errors.map((e) => [String(e.line), csvCell(e.field), csvCell(e.message)].join(','))].join('\r\n') + '\r\n';
}
