// The 15 KPI names in dashboard order (spec api.md §7: always all 15), and the shift types for
// the filter. Labels go through t() so Spanish works.
export const KPI_NAMES = [
  'oee',
  'efficiency',
  'performance',
  'availability',
  'quality_rate',
  'otd',
  'true_otd',
  'wip_aging',
  'ppm',
  'dpmo',
  'fpy',
  'rty',
  'rty_stages',
  'absenteeism',
  'production_hours',
] as const;

export type KpiName = (typeof KPI_NAMES)[number];

/// Lower is better for these (kpis.md §3); only used for wording, the server owns the status.
export const LOWER_IS_BETTER = new Set(['wip_aging', 'ppm', 'dpmo', 'absenteeism']);

export const SHIFT_TYPES = ['SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER'] as const;

/// KPIs without a shift attribute: the series rejects granularity=shift for them (kpis.md §1).
export const NO_SHIFT_GRANULARITY = new Set(['wip_aging', 'otd', 'true_otd', 'rty']);

/// Orders any names the API returns: known ones first in dashboard order, unknown ones after,
/// so a KPI added on the server still gets a card.
export function orderKpiNames(names: string[]): string[] {
  const known = KPI_NAMES.filter((k) => names.includes(k)) as string[];
  const extra = names.filter((n) => !(KPI_NAMES as readonly string[]).includes(n)).sort();
  return [...known, ...extra];
}
