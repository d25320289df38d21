// The API calls the entry grid and the upload screen make (api.md §6, ingest.md §7). Thin wrappers
// over the shared client so the views read as the flow they implement.
import { api, withQuery } from '../api/client';
import { describeColumns, templateHeader, type ColumnDesc, type ObjectSchema } from './columns';
import type { ResourceSpec } from './resourceSpec';
import type { Row, RowError } from './records';

export interface ListPage {
  items: Row[];
  next_cursor: string | null;
}

export interface PreviewRow {
  line: number;
  status: 'valid' | 'invalid' | string;
  errors: RowError[];
  warnings: RowError[];
  record: Row;
}

export interface Preview {
  token: string | null;
  expires_at?: string;
  total: number;
  valid: number;
  invalid: number;
  summary: Record<string, number>;
  readback: { title: string; lines: string[]; totals: string[] };
  rows: PreviewRow[];
  rows_next_cursor?: string | null;
  file_warnings: (RowError | string)[];
}

export interface CommitResult {
  import_id: string;
  total: number;
  inserted: number;
  rejected: number;
  errors: RowError[];
}

let openapi: Promise<{ components?: { schemas?: Record<string, ObjectSchema> } }> | null = null;
const columnCache = new Map<string, Promise<ColumnDesc[]>>();

/// Columns of a resource from its CSV template header and OpenAPI schema (fetched once per page).
export function loadColumns(resource: string, spec: ResourceSpec): Promise<ColumnDesc[]> {
  let p = columnCache.get(resource);
  if (!p) {
    openapi ??= api.get('/api/openapi.json');
    p = Promise.all([
      api.request('GET', `/api/${resource}/csv-template`, undefined, { Accept: 'text/csv' }).then((r) => r.text()),
      openapi,
    ]).then(([csv, doc]) => describeColumns(templateHeader(csv), doc.components?.schemas?.[spec.schema] ?? {}, spec));
    p.catch(() => columnCache.delete(resource));
    columnCache.set(resource, p);
  }
  return p;
}

export function listPage(resource: string, query: Record<string, string | undefined>, cursor: string | null, limit = 500): Promise<ListPage> {
  return api.get<ListPage>(`/api/${resource}`, { ...query, limit, cursor: cursor ?? undefined });
}

/// A fresh key per user action; a retry of the same action reuses it (ingest.md §8).
export function idempotencyKey(): string {
  return `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function previewBatch(resource: string, clientId: string, entries: Row[], key: string): Promise<Preview> {
  return api.post<Preview>(`/api/${resource}/batch/preview`, { client_id: clientId, entries }, { 'Idempotency-Key': key });
}

export function confirmImport(token: string, key: string): Promise<CommitResult> {
  return api.post<CommitResult>(`/api/imports/${encodeURIComponent(token)}/confirm`, undefined, { 'Idempotency-Key': key });
}

export function patchRecord(resource: string, id: string, body: Row): Promise<Row> {
  return api.patch<Row>(`/api/${resource}/${encodeURIComponent(id)}`, body);
}

export function deleteRecord(resource: string, id: string): Promise<Row> {
  return api.del<Row>(`/api/${resource}/${encodeURIComponent(id)}`);
}

export function exportUrl(resource: string, query: Record<string, string | undefined>): string {
  return withQuery(`/api/${resource}/export.csv`, query);
}

/// A preview lists the first 200 rows; the rest come from /api/imports/{token}/rows
/// (ingest.md §7 "large read-backs"), so every row error can be shown.
export async function allPreviewRows(p: Preview): Promise<PreviewRow[]> {
  const rows = [...p.rows];
  let cursor = p.rows_next_cursor ?? null;
  while (cursor && p.token) {
    const page = await api.get<{ items?: PreviewRow[]; rows?: PreviewRow[]; next_cursor: string | null }>(
      `/api/imports/${encodeURIComponent(p.token)}/rows`,
      { cursor, limit: 1000 },
    );
    rows.push(...(page.items ?? page.rows ?? []));
    cursor = page.next_cursor;
  }
  return rows;
}
