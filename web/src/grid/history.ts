// Undo/redo of grid edits (RevoGrid has none). A step is whatever one user action changed: one
// typed cell, a whole paste, a fill-handle drag or a bulk edit, so Ctrl+Z undoes the action at once.
// A new step after some undos drops the redo branch, as every editor does.

export class UndoStack<T> {
  private done: T[] = [];
  private undone: T[] = [];

  constructor(private readonly limit = 200) {}

  push(step: T): void {
    this.done.push(step);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  /// The step to revert, now moved to the redo side; null when nothing is left.
  undo(): T | null {
    const step = this.done.pop();
    if (step === undefined) return null;
    this.undone.push(step);
    return step;
  }

  /// The step to apply again; null when nothing was undone.
  redo(): T | null {
    const step = this.undone.pop();
    if (step === undefined) return null;
    this.done.push(step);
    return step;
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }
  clear(): void {
    this.done = [];
    this.undone = [];
  }
}
