import { facebookRows, microsoftEmails } from '@audience-sync/identifiers';
import { checksumOfKeys, memberKey } from '../emulators/members';

const FIRST = ['Kari', 'Ola', 'Åse', 'Jürgen', 'Marie', 'José', 'Zoë', 'Liam'];
const STATES = ['California', 'New York', 'Texas', 'Oslo', 'Viken'];

/** Profile i of a benchmark population: deterministic, so expected audiences can be recomputed. */
export function profile(prefix: string, i: number) {
  return {
    PrimaryEmail: `${prefix}.${i}@bench.example`,
    MobilePhone: `+47 9${String(i).padStart(7, '0')}`,
    FirstName: FIRST[i % FIRST.length],
    LastName: `Lastname${i}`,
    PostalCode: String(10000 + (i % 89999)),
    State: STATES[i % STATES.length],
    Country: i % 3 === 0 ? 'Norway' : 'US',
  };
}

export const FACEBOOK_MAPPINGS = { EMAIL: 'PrimaryEmail', PHONE: 'MobilePhone', FN: 'FirstName', LN: 'LastName', ZIP: 'PostalCode', ST: 'State', COUNTRY: 'Country' } as const;
const FB_KEYS = Object.keys(FACEBOOK_MAPPINGS) as (keyof typeof FACEBOOK_MAPPINGS)[];

function fbIdentifiers(p: ReturnType<typeof profile>): Record<string, string> {
  return Object.fromEntries(FB_KEYS.map((k) => [k, p[FACEBOOK_MAPPINGS[k]]]));
}

/** The checksum the emulator's audience must show, and how fast one core normalises and hashes. */
export function expectedChecksum(destination: 'facebook' | 'microsoft', prefix: string, count: number, onProgress: (done: number) => void): { checksum: string; profilesPerSecond: number } {
  const started = process.hrtime.bigint();
  function* keys(): Generator<string> {
    const chunk = 10_000;
    for (let from = 0; from < count; from += chunk) {
      const changes = [];
      for (let i = from; i < Math.min(count, from + chunk); i += 1) {
        const p = profile(prefix, i);
        changes.push({ op: 'add' as const, identifiers: destination === 'facebook' ? fbIdentifiers(p) : { EMAIL: p.PrimaryEmail } });
      }
      if (destination === 'facebook') for (const row of facebookRows(FB_KEYS, changes).adds) yield memberKey(row);
      else for (const digest of microsoftEmails(changes).adds) yield memberKey([digest]);
      onProgress(Math.min(count, from + chunk));
    }
  }
  const checksum = checksumOfKeys(keys());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { checksum, profilesPerSecond: Math.round(count / seconds) };
}
