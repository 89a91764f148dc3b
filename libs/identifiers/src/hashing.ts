import { hash } from 'node:crypto';
import { FacebookKey, HashingCounts } from '@audience-sync/contracts';

/** A row to add or remove, by its plain identifiers per key: what a demo or a test expects to see hashed. */
export interface PlainChange {
  op: 'add' | 'remove';
  identifiers: Record<string, string>;
}
import { isDigest, normalize, UNHASHED_KEYS } from './normalize';

/** The multi-key schema order used for every Facebook row; DOB travels as DOBY/DOBM/DOBD. */
const ORDER = ['EMAIL', 'PHONE', 'FN', 'LN', 'FI', 'GEN', 'DOBY', 'DOBM', 'DOBD', 'CT', 'ST', 'ZIP', 'COUNTRY', 'MADID', 'EXTERN_ID'];

export function facebookSchema(keys: FacebookKey[]): string[] {
  const expanded = new Set(keys.flatMap((k) => (k === 'DOB' ? ['DOBY', 'DOBM', 'DOBD'] : [k])));
  return ORDER.filter((k) => expanded.has(k));
}

/** One-shot hashing: about four times faster than a Hash object for values this short. */
export function sha256(value: string): string {
  return hash('sha256', value, 'hex');
}

function digestOf(key: string, normalized: string): string {
  if (UNHASHED_KEYS.has(key) || isDigest(normalized)) return normalized;
  return sha256(normalized);
}

const layouts = new Map<string, { schema: string[]; position: Map<string, number> }>();

/** The schema and each key's place in it; computed once per key set (the streamer asks per profile). */
function layoutOf(keys: FacebookKey[]): { schema: string[]; position: Map<string, number> } {
  const id = keys.join(',');
  let layout = layouts.get(id);
  if (!layout) {
    // Frozen: every caller gets this one array, so none may change it.
    const schema = Object.freeze(facebookSchema(keys)) as string[];
    layout = { schema, position: new Map(schema.map((k, i) => [k, i])) };
    layouts.set(id, layout);
  }
  return layout;
}

class Counter {
  readonly counts: HashingCounts = { droppedValues: {}, rejectedRows: 0 };
  drop(reason: string): void {
    this.counts.droppedValues[reason] = (this.counts.droppedValues[reason] ?? 0) + 1;
  }
}

/**
 * Normalises and hashes each change's identifiers into a row in the schema's order. An
 * unusable value is dropped from its row and counted; a row left empty is rejected and counted;
 * the rest of the batch flows on.
 */
export function facebookRows(keys: FacebookKey[], changes: PlainChange[]): { schema: string[]; adds: string[][]; removes: string[][]; counts: HashingCounts } {
  const { schema, position } = layoutOf(keys);
  const counter = new Counter();
  const adds: string[][] = [];
  const removes: string[][] = [];
  for (const change of changes) {
    const row = new Array<string>(schema.length).fill('');
    let filled = 0;
    for (const key of keys) {
      const raw = change.identifiers[key];
      if (raw === undefined) continue;
      const result = normalize(key, raw);
      if (!result.ok) {
        counter.drop(result.reason);
        continue;
      }
      for (const [k, v] of Object.entries(result.values)) {
        row[position.get(k)!] = digestOf(k, v);
        filled += 1;
      }
    }
    if (filled === 0) counter.counts.rejectedRows += 1;
    else (change.op === 'add' ? adds : removes).push(row);
  }
  return { schema, adds, removes, counts: counter.counts };
}

/** Microsoft takes the hashed email only. */
export function microsoftEmails(changes: PlainChange[]): { adds: string[]; removes: string[]; counts: HashingCounts } {
  const counter = new Counter();
  const adds: string[] = [];
  const removes: string[] = [];
  for (const change of changes) {
    const raw = change.identifiers.EMAIL;
    const result = raw === undefined ? ({ ok: false, reason: 'empty' } as const) : normalize('EMAIL', raw);
    if (!result.ok) {
      counter.drop(result.reason);
      counter.counts.rejectedRows += 1;
      continue;
    }
    (change.op === 'add' ? adds : removes).push(digestOf('EMAIL', result.values.EMAIL));
  }
  return { adds, removes, counts: counter.counts };
}
