import { describe, expect, it } from 'vitest';
import { draftKey, loadDraft, restoreDraft, saveDraft } from './drafts';
import { GridModel, type GridRow } from './model';

const props = ['a', 'b'];
const srv = (id: string, a: string): GridRow => ({ _key: id, _id: id, a, b: '' });

function mem() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
    size: () => m.size,
  };
}

describe('drafts', () => {
  it('keeps new and edited rows per user, client and resource, and survives a reload', () => {
    const store = mem();
    const key = draftKey('USR-1', 'C1', 'production');
    const m = new GridModel(props);
    m.setServerRows([srv('P1', 'x'), srv('P2', 'y')]);
    m.apply([
      { row: 1, prop: 'a', value: 'changed' },
      { row: 2, prop: 'a', value: 'typed' },
    ]);
    saveDraft(store, key, m);

    // "Reload": the filter now lists only P1.
    const again = new GridModel(props);
    again.setServerRows([srv('P1', 'x')]);
    restoreDraft(again, loadDraft(store, key)!);
    expect(again.editedRows().map((r) => [r._key, r.a])).toEqual([['P2', 'changed']]);
    expect(again.newRows().map((r) => r.a)).toEqual(['typed']);
  });

  it('removes the draft once nothing is unsaved', () => {
    const store = mem();
    const m = new GridModel(props);
    m.setServerRows([srv('P1', 'x')]);
    m.apply([{ row: 0, prop: 'a', value: 'y' }]);
    saveDraft(store, 'k', m);
    expect(store.size()).toBe(1);
    m.markSaved('P1');
    saveDraft(store, 'k', m);
    expect(store.size()).toBe(0);
    expect(loadDraft(store, 'k')).toBeNull();
  });
});
