// App-wide "data changed" signal: the grids and the upload screen emit it after a confirmed save,
// the dashboard listens and refreshes its numbers without a page reload.
type Listener = (detail: { clientId: string; resource: string }) => void;
const listeners = new Set<Listener>();

export function onDataChanged(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function emitDataChanged(clientId: string, resource: string): void {
  for (const l of listeners) l({ clientId, resource });
}
