import { ClassicLevel } from 'classic-level';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destinationRow, facebookRows } from '@audience-sync/identifiers';
import { LevelStore } from './level-store';

const S = '\u0001';

describe('LevelStore upgrade from format 1 (sent rows stored as their digests)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'level-upgrade-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites sent rows and their holders as identities, so a reconcile sees nothing changed', async () => {
    const identifiers = { EMAIL: 'mary@example.com', PHONE: '+1 (650) 555-1212' };
    const digests = facebookRows(['EMAIL', 'PHONE'], [{ op: 'add', profileId: '', identifiers }]).adds[0].join('|');
    const old = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
    await old.batch([
      { type: 'put', key: ['s', 'e1', '123', 'p1'].join(S), value: { i: identifiers, r: digests } },
      { type: 'put', key: ['h', 'e1', '123', digests, 'p1'].join(S), value: 1 },
      { type: 'put', key: ['a', 'e1', '123'].join(S), value: 1 },
    ]);
    await old.close();

    const identity = destinationRow('facebook-ads', ['EMAIL', 'PHONE'], identifiers)!;
    for (let open = 0; open < 2; open += 1) {
      const store = new LevelStore(dir);
      await store.open();
      expect((await store.sent('e1', '123', ['p1'])).get('p1')).toEqual({ identifiers, row: identity });
      expect(await store.rowHolders('e1', '123', [identity])).toEqual(new Map([[identity, ['p1']]]));
      expect((await store.rowHolders('e1', '123', [digests])).size).toBe(0);
      await store.close();
    }
  });
});
