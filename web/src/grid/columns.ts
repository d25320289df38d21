// One column description per resource, derived at run time: the CSV template header gives the
// writable fields in domain.md order (so pasted blocks from a template-shaped sheet line up), the
// OpenAPI schema gives each field's type, enum values and limits. Cells are strings in the grid;
// `toJson` / `fromJson` convert at the API boundary.
import type { ConvertKind } from './locale';
import type { ResourceSpec } from './resourceSpec';

export type CellKind = 'text' | 'integer' | 'decimal' | 'boolean' | 'date' | 'time' | 'enum';

export interface ColumnDesc {
  prop: string;
  kind: CellKind;
  enumValues?: string[];
  required: boolean;
  /// False for server fields; the key of user-keyed resources is editable on new rows only.
  editable: boolean;
  /// Editable only while the row is new (user-typed ids).
  newOnly?: boolean;
  maxLength?: number;
  min?: number;
  max?: number;
}

interface SchemaProp {
  type?: string | string[];
  format?: string;
  enum?: string[];
  pattern?: string;
  readOnly?: boolean;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}
export interface ObjectSchema {
  properties?: Record<string, SchemaProp>;
  required?: string[];
}

function kindOf(p: SchemaProp | undefined): CellKind {
  if (!p) return 'text';
  const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
  if (p.enum) return 'enum';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'decimal';
  if (type === 'boolean') return 'boolean';
  if (p.format === 'date') return 'date';
  if (p.pattern && p.pattern.includes(':[0-5]')) return 'time';
  return 'text';
}

/// Columns: template fields (minus the tenant column, which comes from the client picker), then
/// the key and a few server fields read-only.
export function describeColumns(header: string[], schema: ObjectSchema, spec: ResourceSpec): ColumnDesc[] {
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const cols: ColumnDesc[] = [];
  for (const name of header) {
    if (name === 'client_id' && spec.clientField === 'client_id') continue;
    const p = props[name];
    cols.push({
      prop: name,
      kind: kindOf(p),
      enumValues: p?.enum,
      required: required.has(name),
      editable: !p?.readOnly,
      newOnly: spec.userKey && name === spec.key,
      maxLength: p?.maxLength,
      min: p?.minimum,
      max: p?.maximum,
    });
  }
  for (const name of [spec.key, ...spec.extra]) {
    if (cols.some((c) => c.prop === name)) continue;
    cols.push({ prop: name, kind: kindOf(props[name]), required: false, editable: false });
  }
  return cols;
}

/// Parses a CSV template's header line (UTF-8 BOM, quoted names allowed).
export function templateHeader(csv: string): string[] {
  const first = csv.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)[0] ?? '';
  return first.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
}

export function convertKind(kind: CellKind): ConvertKind {
  return kind === 'date' ? 'date' : kind === 'decimal' ? 'decimal' : kind === 'integer' ? 'integer' : 'other';
}

/// A stored value as grid text.
export function fromJson(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

/// Grid text as the JSON the API expects. Text that does not parse for its kind is sent as typed,
/// so the server answers with its own cell error (`must be a whole number`) at that field.
export function toJson(text: string, col: ColumnDesc): unknown {
  const s = text.trim();
  if (s === '') return null;
  switch (col.kind) {
    case 'integer':
      return /^[+-]?\d+(\.0+)?$/.test(s) ? Number.parseInt(s, 10) : s;
    case 'decimal':
      return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : s;
    case 'boolean': {
      const b = s.toLowerCase();
      if (['true', '1', 'yes', 'y', 't', 'si', 'sí'].includes(b)) return true;
      if (['false', '0', 'no', 'n', 'f'].includes(b)) return false;
      return s;
    }
    case 'enum': {
      const hit = col.enumValues?.find((e) => e.toLowerCase() === s.toLowerCase());
      return hit ?? s;
    }
    default:
      return s;
  }
}
