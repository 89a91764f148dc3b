/**
 * Keys of the streamer's LevelDB state: a type letter and ids, joined by the separator.
 * m|segment|profile, p|profile, s|export|audience|profile, h|export|audience|row|profile (row
 * holders), a|export|audience, x|refresh|part (staged parts) with y|refresh|part (their numbers and
 * sizes), R|segment, e|export, A (the latest listing time on a membership record); F holds the format.
 */
export const S = '\u0001';
/** Sorts after the separator and before every escaped id character: the end of a key's range. */
const END = '\u0002';

/**
 * Under the key F. Format 4 holds digests only (3 kept attributes and sent identifiers in plain
 * text); format 3 escapes ids; format 2 joined them as they were, so an id holding the separator
 * read back as another; format 1 (no marker) also stored sent rows as their digests.
 */
export const FORMAT = 4;

/**
 * Ids may hold any character, the separator too, so each is escaped: \u0000–\u0002 become
 * \u0002 followed by \u0003–\u0005. The separator then never occurs inside an id, and escaped ids
 * sort as the ids do, which the k-way merge in currentMembers relies on. Ids without those
 * characters (all real ones) are stored as they are.
 */
function encode(id: string): string {
  return /[\u0000-\u0002]/.test(id) ? id.replace(/[\u0000-\u0002]/g, (c) => END + String.fromCharCode(c.charCodeAt(0) + 3)) : id;
}

function decode(part: string): string {
  return part.includes(END) ? part.replace(/\u0002([\u0003-\u0005])/g, (_, c: string) => String.fromCharCode(c.charCodeAt(0) - 3)) : part;
}

export function k(type: string, ...ids: string[]): string {
  return [type, ...ids.map(encode)].join(S);
}

/** The range of the keys below a key: those that continue it with more ids. */
export function below(key: string): { gte: string; lt: string } {
  return { gte: key + S, lt: key + END };
}

/** A key's ids (after its type). */
export function idsOf(key: string): string[] {
  return key.split(S).slice(1).map(decode);
}

/** A key's last id. */
export function lastPart(key: string): string {
  return decode(key.slice(key.lastIndexOf(S) + 1));
}
