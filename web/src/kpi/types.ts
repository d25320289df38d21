// Shapes of the KPI routes (spec api.md §7, kpis.md §1). Only what the screens read is typed;
// extra fields the server adds pass through untouched.
export type KpiStatus = 'on_target' | 'at_risk' | 'off_target' | 'no_data' | 'no_target';

export interface KpiWarning {
  code: string;
  priority?: string;
  message: string;
  count?: number;
}

export interface KpiResult {
  value: number | null;
  display_value?: number | null;
  unit: string;
  target: number | null;
  status: KpiStatus;
  estimated: boolean;
  confidence: number;
  inference_level_max?: number;
  inferred_fields: string[];
  flag_for_review?: boolean;
  warnings: KpiWarning[];
  formula_version?: number;
  details?: Record<string, unknown>;
}

export interface KpisResponse {
  client_id: string;
  from: string;
  to: string;
  kpis: Record<string, KpiResult>;
}

export interface SeriesPoint extends KpiResult {
  period: string;
  from: string;
  to: string;
}

export interface SeriesResponse {
  name: string;
  client_id: string;
  from: string;
  to: string;
  granularity: Granularity;
  series: SeriesPoint[];
  overall: KpiResult;
}

export type Granularity = 'shift' | 'day' | 'week' | 'month';

export interface InferredPair {
  record: string;
  field: string;
  value: unknown;
  level: number;
  strategy: string;
  source?: string;
}

/// Per input field: how many (row, field) pairs came from each inference level.
export interface FieldSummary {
  field: string;
  pairs: number;
  recorded: number;
  inferred: number;
  levels: { level: number; score: number; strategy: string; description?: string; pairs: number }[];
}

export interface ExplainResponse {
  name: string;
  client_id: string;
  from: string;
  to: string;
  formula_version: number;
  formula_scope?: string;
  settings_version?: number;
  script_input?: Record<string, unknown>;
  result: KpiResult;
  pairs?: { total?: number; recorded: number; inferred: number };
  fields?: FieldSummary[];
  /// OEE only: its three component KPIs.
  components?: { name: string; value: number | null; confidence: number }[];
  formula?: { kpi: string; version: number; scope: string; client_id: string | null; source_sha256?: string };
  inferred: InferredPair[];
  truncated?: boolean;
}

export interface OverviewResponse {
  from: string;
  to: string;
  clients: { client_id: string; client_name: string; kpis: Record<string, KpiResult> }[];
}

/// The money view of losses (kpis.md §4.16); `currency` null when the client has no costs set.
export interface LossItem {
  category: 'downtime' | 'speed' | 'defects';
  group_by: 'shift_type' | 'product_id';
  group: string;
  amount: number;
  estimated: boolean;
}

export interface LossesResponse {
  currency: string | null;
  items: LossItem[];
  top: LossItem[];
}

/// Window and filters shared by every KPI request of the dashboard.
export interface KpiQuery {
  from: string;
  to: string;
  shift?: string;
}
