// KPI requests of the dashboard and overview (api.md §7), typed.
import { api } from '../api/client';
import type { ExplainResponse, Granularity, KpiQuery, KpisResponse, LossesResponse, OverviewResponse, SeriesResponse } from './types';

const base = (clientId: string) => `/api/clients/${encodeURIComponent(clientId)}/kpis`;

export function fetchKpis(clientId: string, q: KpiQuery): Promise<KpisResponse> {
  return api.get<KpisResponse>(base(clientId), { ...q });
}

export function fetchSeries(clientId: string, name: string, q: KpiQuery, granularity: Granularity): Promise<SeriesResponse> {
  return api.get<SeriesResponse>(`${base(clientId)}/${encodeURIComponent(name)}`, { ...q, granularity });
}

export function fetchExplain(clientId: string, name: string, q: KpiQuery): Promise<ExplainResponse> {
  return api.get<ExplainResponse>(`${base(clientId)}/${encodeURIComponent(name)}/explain`, { ...q });
}

export function fetchOverview(q: { from?: string; to?: string }): Promise<OverviewResponse> {
  return api.get<OverviewResponse>('/api/kpis/overview', q);
}

export function fetchLosses(clientId: string, q: { from: string; to: string }): Promise<LossesResponse> {
  return api.get<LossesResponse>(`/api/clients/${encodeURIComponent(clientId)}/losses`, q);
}
