// Formula-script requests (api.md §8).
import { api } from '../api/client';
import type { CheckResult, PublishResult, Script, ScriptListItem } from './types';

const path = (name: string) => `/api/kpi-scripts/${encodeURIComponent(name)}`;

export async function listScripts(): Promise<ScriptListItem[]> {
  return (await api.get<{ items: ScriptListItem[] }>('/api/kpi-scripts')).items;
}

export function getScript(name: string, clientId?: string): Promise<Script> {
  return api.get<Script>(path(name), { client_id: clientId });
}

/// Compile + cases on every (debounced) edit; the back-test only on request, it evaluates 8 weeks
/// per client and is the slow part.
export function checkScript(name: string, source: string, clientId?: string, backtest = false): Promise<CheckResult> {
  return api.post<CheckResult>(`${path(name)}/check`, { source, client_id: clientId || undefined, backtest });
}

export function publishScript(name: string, source: string, comment: string, clientId?: string): Promise<PublishResult> {
  return api.put<PublishResult>(path(name), { source, comment, client_id: clientId || undefined });
}

/// Copies `version` into a new current version; version null removes the client's override.
export function rollbackScript(name: string, version: number | null, clientId?: string): Promise<PublishResult> {
  return api.post<PublishResult>(`${path(name)}/rollback`, { version, client_id: clientId || undefined });
}
