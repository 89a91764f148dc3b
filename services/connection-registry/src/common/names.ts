import { FieldProblem } from './api-error';

/** Fields that hold a name a person reads: connections', exports', segments' and audiences'. */
const NAME_FIELDS = new Set(['displayName', 'name']);

/**
 * Control characters (C0, DEL, C1: line breaks, escapes) and the bidi embeddings, overrides and
 * isolates (U+202A–U+202E, U+2066–U+2069) let a name show other text than it holds, in the API's
 * consumers and at the ad platforms. The direction marks (U+200E, U+200F, U+061C) stay allowed:
 * they only settle neutral characters' direction, which mixed right-to-left names need.
 */
const DISGUISING = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

const BIDI_NAMES: Record<number, string> = {
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
};

/** Every name field, at any depth, that holds a control or text-direction character. */
export function disguisedNames(value: unknown, path: string[] = []): FieldProblem[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => disguisedNames(item, [...path, String(i)]));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) => {
    if (NAME_FIELDS.has(key) && typeof field === 'string') {
      const found = DISGUISING.exec(field);
      return found ? [{ path: [...path, key].join('.'), message: why(found[0].codePointAt(0)!) }] : [];
    }
    return disguisedNames(field, [...path, key]);
  });
}

function why(code: number): string {
  const at = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const bidi = BIDI_NAMES[code];
  return bidi
    ? `contains ${at} (${bidi}), which makes a name display differently from what it holds; remove it`
    : `contains ${at}, a control character (such as a line break); a name is one line of printable text`;
}
