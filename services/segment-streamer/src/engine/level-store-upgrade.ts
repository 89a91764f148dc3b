import { ClassicLevel } from 'classic-level';
import { hashValue, identityOf, readHashed, rowIdentity } from '@audience-sync/identifiers';
import { FORMAT, idsOf, k, S } from './level-keys';
import { ExportState, StagedPart } from './state-store';

type Db = ClassicLevel<string, unknown>;
/** The store holds values as JSON text that it encodes itself; the upgrade reads and writes them as JSON values. */
const J = { valueEncoding: 'json' } as const;
type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };
type SentValue = { r: string; i?: Record<string, string>; c?: Record<string, string> };
type ProfileValue = { a: Record<string, unknown>; t: number };

/**
 * Brings a state directory written by an earlier version to FORMAT at start-up. Ids are escaped (level-keys.ts); format 1's sent rows become identities; and what the
 * old range deletes, which deleted nothing, left behind is dropped: the sent state of deleted
 * exports and of exports whose audience changed, and the staged parts of refreshes a later refresh
 * of the segment superseded. Each step is idempotent and the escaped keys are written in one batch
 * with the new format, so an upgrade cut short starts over cleanly.
 */
export async function upgradeState(db: Db, directory: string): Promise<void> {
  const format = ((await db.get('F', J)) as number | undefined) ?? 1;
  if (format === FORMAT) return;
  if (format > FORMAT) {
    throw new Error(`${directory} holds segment-streamer state of format ${format}, newer than this version's ${FORMAT}: run the newer version; to start over with this one, give it an empty STREAMER_STATE_DIR and a new STREAMER_STATE_TOPIC (the changelog holds the newer format too), and every export then syncs in full again`);
  }
  if (format < 3) await escapeIds(db, format);
  await forgetPlainValues(db);
  await db.put('F', FORMAT, J);
}

/**
 * Format 4 keeps digests only. Sent entries' plain identifiers become the digests they were sent
 * as (removals need them), with the row identity of format 4 (identityOf); profiles and staged refresh members keep their attribute names with
 * no value (`''`), so an export's rows stay as sent until the profile's attributes arrive again,
 * hashed (as after a mapping change). Idempotent, so an upgrade cut short starts over cleanly.
 */
async function forgetPlainValues(db: Db): Promise<void> {
  for (const type of ['s', 'p', 'x']) {
    const iterator = db.iterator({ gte: type + S, lt: type + '\u0002', ...J });
    try {
      for (;;) {
        const entries = (await iterator.nextv(2000)) as [string, unknown][];
        if (entries.length === 0) break;
        const ops: Op[] = [];
        for (const [key, value] of entries) {
          if (type === 's') {
            const { i, ...sent } = value as SentValue;
            if (!i) continue;
            const columns = digestsOf(i);
            const row = identityOf(columns);
            ops.push({ type: 'put', key, value: { ...sent, c: columns, r: row } });
            // The identity is now of the values by column; the row's holder moves with it.
            const [exportId, audienceKey, profileId] = idsOf(key);
            if (row !== sent.r) ops.push({ type: 'del', key: k('h', exportId, audienceKey, sent.r, profileId) }, { type: 'put', key: k('h', exportId, audienceKey, row, profileId), value: 1 });
          } else if (type === 'p') {
            const profile = value as ProfileValue;
            ops.push({ type: 'put', key, value: { ...profile, a: namesOnly(profile.a) } });
          } else {
            const part = value as StagedPart;
            ops.push({ type: 'put', key, value: { ...part, members: part.members.map((m) => ({ profileId: m.profileId, attributes: m.attributes ? namesOnly(m.attributes) : m.attributes })) } });
          }
        }
        if (ops.length > 0) await db.batch(ops as never, J);
      }
    } finally {
      await iterator.close();
    }
  }
}

/** Plain identifiers by key (the keys are rule names) as the columns they were sent as. */
function digestsOf(identifiers: Record<string, string>): Record<string, string> {
  const columns: Record<string, string> = {};
  for (const [key, raw] of Object.entries(identifiers)) {
    const read = readHashed(key, hashValue(key, raw));
    if ('columns' in read) Object.assign(columns, read.columns);
  }
  return columns;
}

function namesOnly(attributes: Record<string, unknown>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, value === null ? null : '']));
}

async function escapeIds(db: Db, format: number): Promise<void> {
  const layout = await OldLayout.read(db);
  const moves: { from: string; to: string; sent: boolean }[] = [];
  const iterator = db.keys();
  try {
    for (;;) {
      const keys = (await iterator.nextv(5000)) as string[];
      if (keys.length === 0) break;
      const ops: Op[] = [];
      const rewrite: string[] = [];
      for (const key of keys) {
        const parsed = layout.parse(key);
        if (!parsed) continue;
        if (await layout.leftOver(parsed)) {
          ops.push({ type: 'del', key });
          continue;
        }
        const [type, ...ids] = parsed;
        if (format === 1 && type === 'h') ids[2] = identity(ids[2]);
        const to = k(type, ...ids);
        // An id with a character the escaping changes: moved at the end, in one batch.
        if (to !== [type, ...ids].join(S)) moves.push({ from: key, to, sent: type === 's' });
        else if (to !== key) ops.push({ type: 'del', key }, { type: 'put', key: to, value: 1 });
        else if (format === 1 && type === 's') rewrite.push(key);
      }
      const values = (await db.getMany(rewrite, J)) as (SentValue | undefined)[];
      values.forEach((v, i) => v && ops.push({ type: 'put', key: rewrite[i], value: { ...v, r: identity(v.r) } }));
      if (ops.length > 0) await db.batch(ops as never, J);
    }
  } finally {
    await iterator.close();
  }
  const values = await db.getMany(moves.map((m) => m.from), J);
  const ops: Op[] = moves.map(({ from }) => ({ type: 'del', key: from }));
  moves.forEach(({ to, sent }, i) => {
    const v = values[i] as SentValue | undefined;
    if (v !== undefined) ops.push({ type: 'put', key: to, value: sent && format === 1 ? { ...v, r: identity(v.r) } : v });
  });
  ops.push({ type: 'put', key: 'F', value: 3 });
  await db.batch(ops as never, J);
}

/** A row as format 1 stored it (its digests) becomes its identity; one already converted stays. */
function identity(row: string): string {
  return row.length === 22 ? row : rowIdentity(row);
}

/**
 * Reads format-1 and -2 keys, which joined ids as they were. A key with more separators than its
 * type has ids is ambiguous; it is split at a known audience (from a|export|audience keys, whose
 * export ids are the registry's UUIDs) or segment (from R|segment), else after its first id, so the
 * extra separators go to the profile id.
 */
class OldLayout {
  private readonly staged = new Map<string, boolean>();

  private constructor(
    private readonly db: Db,
    private readonly exports: Map<string, ExportState>,
    private readonly audiences: Map<string, Set<string>>,
    private readonly refreshed: Map<string, number>,
  ) {}

  static async read(db: Db): Promise<OldLayout> {
    const entries = async (type: string) => {
      const out: [string[], unknown][] = [];
      for await (const [key, value] of db.iterator({ gte: type + S, lt: type + '\u0002', ...J })) out.push([key.split(S).slice(1), value]);
      return out;
    };
    const exports = new Map((await entries('e')).map(([ids, v]) => [ids.join(S), v as ExportState]));
    const audiences = new Map<string, Set<string>>();
    for (const [[exportId, ...audience]] of await entries('a')) audiences.set(exportId, (audiences.get(exportId) ?? new Set()).add(audience.join(S)));
    const refreshed = new Map((await entries('R')).map(([ids, t]) => [ids.join(S), t as number]));
    return new OldLayout(db, exports, audiences, refreshed);
  }

  /** The key's type and ids, or undefined for F and keys this version does not know. */
  parse(key: string): string[] | undefined {
    const [type, ...parts] = key.split(S);
    const rest = (from: number) => parts.slice(from).join(S);
    switch (type) {
      case 'p':
      case 'R':
      case 'e':
        return parts.length >= 1 ? [type, rest(0)] : undefined;
      case 'x':
      case 'y':
        return parts.length >= 2 ? [type, parts.slice(0, -1).join(S), parts[parts.length - 1]] : undefined;
      case 'a':
        return parts.length >= 2 ? [type, parts[0], rest(1)] : undefined;
      case 'm': {
        if (parts.length < 2) return undefined;
        const n = this.firstId(parts, 1, (id) => this.refreshed.has(id));
        return [type, parts.slice(0, n).join(S), rest(n)];
      }
      case 's':
      case 'h': {
        const after = type === 's' ? 1 : 2;
        if (parts.length < 1 + after + 1) return undefined;
        const known = this.audiences.get(parts[0]);
        const n = 1 + this.firstId(parts.slice(1), after, (id) => known?.has(id) === true);
        return type === 's' ? [type, parts[0], parts.slice(1, n).join(S), rest(n)] : [type, parts[0], parts.slice(1, n).join(S), parts[n], rest(n + 1)];
      }
      default:
        return undefined;
    }
  }

  /** How many parts the first id spans: the longest known one that leaves `after` ids, else 1. */
  private firstId(parts: string[], after: number, known: (id: string) => boolean): number {
    for (let n = parts.length - after; n > 1; n -= 1) if (known(parts.slice(0, n).join(S))) return n;
    return 1;
  }

  /** What the old range deletes should have removed. */
  async leftOver([type, ...ids]: string[]): Promise<boolean> {
    if (type === 's' || type === 'h' || type === 'a') return !this.exports.get(ids[0])?.activated;
    if (type === 'x' && !this.staged.has(ids[0])) {
      const part = (await this.db.get([type, ...ids].join(S), J)) as StagedPart | undefined;
      const latest = part && this.refreshed.get(part.segmentId);
      this.staged.set(ids[0], latest !== undefined && latest > part!.t);
    }
    // x keys come before y keys: a refresh whose parts are all gone leaves part numbers that could make a replayed final part look complete.
    if (type === 'x' || type === 'y') return this.staged.get(ids[0]) ?? true;
    return false;
  }
}
