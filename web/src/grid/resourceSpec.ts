// What differs between the 14 data-entry resources, and only that: the OpenAPI schema name, the key
// field, the date key and the list filters the grid offers (api.md §6). Field names, order, types
// and enums come from the server at run time (CSV template header + OpenAPI schema, see columns.ts),
// so a field added on the server shows up without a change here.

export type FilterName = 'dates' | 'shift_type' | 'work_order_id' | 'quality_entry_id' | 'employee_id';

export interface ResourceSpec {
  schema: string;
  /// The record's id field (domain.md §1).
  key: string;
  /// True when users type the id themselves (work orders, jobs, products, employees).
  userKey: boolean;
  /// Query filters shown above the grid.
  filters: FilterName[];
  /// The tenant column this resource carries in its template, filled from the selected client.
  clientField: 'client_id' | 'client_id_assigned' | 'assigned_to_client' | null;
  /// Server fields shown read-only after the template fields.
  extra: string[];
  /// Singular noun for the row count ("3 production entries").
  noun: string;
}

const ENTRY_EXTRA = ['entry_method', 'updated_at'];

export const RESOURCE_SPECS: Record<string, ResourceSpec> = {
  production: { schema: 'PRODUCTION_ENTRY', key: 'production_entry_id', userKey: false, filters: ['dates', 'shift_type', 'work_order_id'], clientField: 'client_id', extra: [...ENTRY_EXTRA, 'verified_by'], noun: 'production entries' },
  downtime: { schema: 'DOWNTIME_ENTRY', key: 'downtime_entry_id', userKey: false, filters: ['dates', 'shift_type', 'work_order_id'], clientField: 'client_id', extra: ENTRY_EXTRA, noun: 'downtime entries' },
  quality: { schema: 'QUALITY_ENTRY', key: 'quality_entry_id', userKey: false, filters: ['dates', 'shift_type', 'work_order_id'], clientField: 'client_id', extra: ENTRY_EXTRA, noun: 'quality entries' },
  defects: { schema: 'DEFECT_DETAIL', key: 'defect_detail_id', userKey: false, filters: ['dates', 'quality_entry_id'], clientField: null, extra: ENTRY_EXTRA, noun: 'defect details' },
  attendance: { schema: 'ATTENDANCE_ENTRY', key: 'attendance_entry_id', userKey: false, filters: ['dates', 'shift_type', 'employee_id'], clientField: 'client_id', extra: ENTRY_EXTRA, noun: 'attendance entries' },
  coverage: { schema: 'COVERAGE_ENTRY', key: 'coverage_entry_id', userKey: false, filters: ['dates', 'shift_type'], clientField: 'client_id', extra: ENTRY_EXTRA, noun: 'coverage entries' },
  holds: { schema: 'HOLD_ENTRY', key: 'hold_entry_id', userKey: false, filters: ['dates', 'work_order_id'], clientField: 'client_id', extra: ['total_hold_duration_hours', ...ENTRY_EXTRA], noun: 'hold entries' },
  'work-orders': { schema: 'WORK_ORDER', key: 'work_order_id', userKey: true, filters: ['dates'], clientField: 'client_id', extra: ['updated_at'], noun: 'work orders' },
  jobs: { schema: 'JOB', key: 'job_id', userKey: true, filters: ['work_order_id'], clientField: null, extra: ['updated_at'], noun: 'jobs' },
  products: { schema: 'PRODUCT', key: 'product_id', userKey: true, filters: [], clientField: 'client_id', extra: ['updated_at'], noun: 'products' },
  'part-opportunities': { schema: 'PART_OPPORTUNITIES', key: 'part_opportunity_id', userKey: false, filters: [], clientField: 'client_id', extra: ['updated_at'], noun: 'part opportunities' },
  employees: { schema: 'EMPLOYEE', key: 'employee_id', userKey: true, filters: [], clientField: 'client_id_assigned', extra: ['is_active', 'updated_at'], noun: 'employees' },
  'floating-pool': { schema: 'FLOATING_POOL', key: 'floating_pool_id', userKey: false, filters: ['dates', 'employee_id'], clientField: 'assigned_to_client', extra: ['is_stale', 'updated_at'], noun: 'floating-pool assignments' },
  shifts: { schema: 'SHIFT', key: 'shift_id', userKey: false, filters: ['shift_type'], clientField: 'client_id', extra: ['updated_at'], noun: 'shifts' },
};

export function resourceSpec(name: string): ResourceSpec | null {
  return RESOURCE_SPECS[name] ?? null;
}
