// The dashboard refetches after a confirmed save of its client (events.ts) and every 60 s while
// visible; other clients' saves and hidden tabs cost nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import { mount } from '@vue/test-utils';
import { emitDataChanged } from '../events';
import { REFRESH_MS, useAutoRefresh } from './useAutoRefresh';

function host(reload: () => void) {
  return mount(
    defineComponent({
      setup() {
        useAutoRefresh(() => 'A', reload);
        return () => h('div');
      },
    }),
  );
}

let visibility: DocumentVisibilityState = 'visible';
beforeEach(() => {
  vi.useFakeTimers();
  visibility = 'visible';
  vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('useAutoRefresh', () => {
  it('reloads when data of this client changed, not for another client', () => {
    const reload = vi.fn();
    const w = host(reload);
    emitDataChanged('B', 'production');
    expect(reload).not.toHaveBeenCalled();
    emitDataChanged('A', 'production');
    expect(reload).toHaveBeenCalledTimes(1);
    w.unmount();
    emitDataChanged('A', 'production');
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('reloads every 60 s only while visible', () => {
    const reload = vi.fn();
    const w = host(reload);
    vi.advanceTimersByTime(REFRESH_MS);
    expect(reload).toHaveBeenCalledTimes(1);
    visibility = 'hidden';
    vi.advanceTimersByTime(REFRESH_MS * 2);
    expect(reload).toHaveBeenCalledTimes(1);
    // Coming back after a long time away refreshes at once.
    visibility = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(reload).toHaveBeenCalledTimes(2);
    w.unmount();
    vi.advanceTimersByTime(REFRESH_MS * 3);
    expect(reload).toHaveBeenCalledTimes(2);
  });
});
