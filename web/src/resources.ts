// The 14 data resources (spec domain.md), in the order people enter them.
export const RESOURCES = [
  { name: 'production', label: 'Production' },
  { name: 'downtime', label: 'Downtime' },
  { name: 'quality', label: 'Quality' },
  { name: 'defects', label: 'Defects' },
  { name: 'attendance', label: 'Attendance' },
  { name: 'coverage', label: 'Coverage' },
  { name: 'holds', label: 'Holds' },
  { name: 'work-orders', label: 'Work orders' },
  { name: 'jobs', label: 'Jobs' },
  { name: 'products', label: 'Products' },
  { name: 'part-opportunities', label: 'Part opportunities' },
  { name: 'employees', label: 'Employees' },
  { name: 'floating-pool', label: 'Floating pool' },
  { name: 'shifts', label: 'Shifts' },
] as const;

export type ResourceName = (typeof RESOURCES)[number]['name'];

export function resourceLabel(name: string): string {
  return RESOURCES.find((r) => r.name === name)?.label ?? name;
}
