// Keeps dashboard numbers fresh without a reload: refetch when a grid or upload confirms a save
// for this client (events.ts), and every 60 s while the page is visible (a hidden tab costs nothing).
import { onBeforeUnmount, onMounted } from 'vue';
import { onDataChanged } from '../events';

export const REFRESH_MS = 60_000;

export function useAutoRefresh(clientId: () => string, reload: () => void): void {
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = Date.now();
  let off: (() => void) | undefined;
  const run = () => {
    last = Date.now();
    reload();
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible' && Date.now() - last >= REFRESH_MS) run();
  };
  onMounted(() => {
    off = onDataChanged((d) => {
      if (d.clientId === clientId()) run();
    });
    timer = setInterval(() => {
      if (document.visibilityState === 'visible') run();
    }, REFRESH_MS);
    document.addEventListener('visibilitychange', onVisible);
  });
  onBeforeUnmount(() => {
    off?.();
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
  });
}
