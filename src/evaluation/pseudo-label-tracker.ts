import { RollingWindow } from '../core/index.js';

/**
 * Remembers the pseudo-labels a semi-supervised learner gave unlabelled events
 * (bounded, oldest forgotten first) and, when a true label for the same id
 * arrives later, scores them: the accuracy of pseudo-labelling itself.
 *
 * @example
 * t.assigned([{ id: 'e1', label: 'spam' }]);
 * t.truth('e1', 'ham'); // one pseudo-label checked, wrong
 */
export class PseudoLabelTracker {
  private readonly pending = new Map<string, string>();
  private readonly window: RollingWindow;
  checked = 0;
  correct = 0;

  /**
   * @param capacity pseudo-labels remembered at most. @defaultValue 100000
   * @param windowSize checked pseudo-labels the accuracy is taken over. @defaultValue 500
   */
  constructor(
    readonly capacity = 100_000,
    windowSize = 500,
  ) {
    this.window = new RollingWindow(windowSize);
  }

  assigned(labels: readonly { id: string; label: string }[]): void {
    for (const { id, label } of labels) {
      this.pending.delete(id);
      this.pending.set(id, label);
      if (this.pending.size > this.capacity) this.pending.delete(this.pending.keys().next().value!);
    }
  }

  /** A true label arrived: returns whether the event had been pseudo-labelled. */
  truth(id: string, label: string | number): boolean {
    const pseudo = this.pending.get(id);
    if (pseudo === undefined) return false;
    this.pending.delete(id);
    this.checked++;
    const ok = pseudo === String(label);
    if (ok) this.correct++;
    this.window.push(ok ? 1 : 0);
    return true;
  }

  /** Share of the recently checked pseudo-labels that were right (NaN before any was checked). */
  get accuracy(): number {
    return this.window.mean;
  }
}
