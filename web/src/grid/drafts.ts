// Unsaved grid rows survive a reload or an expired login (spec Clarifications): new rows and the
// edited values of stored rows are kept in localStorage per user + client + resource until saved.
// Edited rows keep their original values too, so they stay "edited" after a reload even when the
// current filter no longer lists them.
import type { GridModel, GridRow } from './model';

export interface Draft {
  newRows: GridRow[];
  edited: { row: GridRow; original: Record<string, string> }[];
  savedAt: string;
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function draftKey(userId: string, clientId: string, resource: string): string {
  return `kpi.grid.draft.${userId}.${clientId}.${resource}`;
}

export function takeDraft(model: GridModel): Draft {
  return {
    newRows: model.newRows().map((r) => ({ ...r })),
    edited: model.editedRows().map((r) => ({ row: { ...r }, original: { ...model.original(r._key)! } })),
    savedAt: new Date().toISOString(),
  };
}

export function saveDraft(store: Store, key: string, model: GridModel): void {
  const d = takeDraft(model);
  try {
    if (d.newRows.length === 0 && d.edited.length === 0) store.removeItem(key);
    else store.setItem(key, JSON.stringify(d));
  } catch {
    /* storage full or disabled: the grid still works, only reload-safety is lost */
  }
}

export function loadDraft(store: Store, key: string): Draft | null {
  try {
    const raw = store.getItem(key);
    if (!raw) return null;
    const d = JSON.parse(raw) as Draft;
    return Array.isArray(d.newRows) && Array.isArray(d.edited) ? d : null;
  } catch {
    return null;
  }
}

/// Lays a draft over freshly loaded server rows: edited values replace the loaded ones (rows the
/// filter did not load are added with their originals), new rows are appended.
export function restoreDraft(model: GridModel, d: Draft): void {
  model.restore(d.edited, d.newRows);
}
