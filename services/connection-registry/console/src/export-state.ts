import type { Export } from './views.js';
import { badge } from './ui.js';

/** Paused first (an admin's choice), then a problem to fix, then whether the pipeline follows the saved version yet. */
export function exportStateBadge(e: Export): HTMLElement {
  if (e.paused) return badge('Paused', 'neutral');
  if (e.state === 'needs-attention') return badge('Needs attention', 'bad');
  if (e.pipeline.state === 'saved') return badge('Saved, applying…', 'warn');
  return badge('Active', 'good');
}
