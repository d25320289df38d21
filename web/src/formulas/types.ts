// Shapes of the formula-script routes (api.md §8).
export interface ScriptListItem {
  name: string;
  version: number;
  updated_at: string;
  updated_by: string;
  overrides: { client_id: string; version: number }[];
}

export interface ScriptHistoryItem {
  version: number;
  client_id: string | null;
  comment: string | null;
  source_origin?: string;
  created_by: string;
  created_at: string;
  is_current: boolean;
}

export interface Script {
  name: string;
  client_id: string | null;
  scope: 'global' | 'client';
  source: string;
  version: number;
  history: ScriptHistoryItem[];
}

export interface CheckDiagnostic {
  line: number;
  column: number;
  message: string;
}

export interface CheckCase {
  case: string;
  line?: number;
  expected: number | null;
  actual: number | null;
  pass: boolean;
  message?: string;
}

export interface BacktestRow {
  client_id: string;
  period: string;
  current: number | null;
  proposed: number | null;
  error?: string | null;
}

export interface CheckResult {
  ok: boolean;
  diagnostics: CheckDiagnostic[];
  tests: CheckCase[];
  backtest_run?: boolean;
  backtest: BacktestRow[];
}

export interface PublishResult {
  name: string;
  client_id: string | null;
  version: number;
  check?: CheckResult;
}
