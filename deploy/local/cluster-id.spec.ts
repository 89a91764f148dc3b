import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterIdFor, newClusterId, usableClusterId } from './cluster-id';

/** 16 bytes whose base64url starts with '-' (the first six bits are 62). */
const dashFirst = Buffer.from([0xf8, ...Array.from({ length: 15 }, (_, i) => i + 1)]);

describe('Kafka cluster ids', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cluster-id-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never makes an id starting with "-", even when the random bytes encode to one', () => {
    expect(dashFirst.toString('base64url').startsWith('-')).toBe(true);
    const draws = [dashFirst, dashFirst, Buffer.alloc(16, 7)];
    const id = newClusterId(() => draws.shift()!);
    expect(id).toBe(Buffer.alloc(16, 7).toString('base64url'));
    expect(draws).toEqual([]);
  });

  it('makes 22-character base64url ids of 16 bytes, none starting with "-"', () => {
    for (let i = 0; i < 2000; i += 1) {
      const id = newClusterId();
      expect(usableClusterId(id)).toBe(true);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });

  it('keeps one id per data directory', () => {
    const id = clusterIdFor(dir);
    expect(clusterIdFor(dir)).toBe(id);
    expect(readFileSync(join(dir, 'cluster.id'), 'utf8')).toBe(id);
  });

  it('replaces a saved id starting with "-" while the storage was never formatted with it', () => {
    const bad = dashFirst.toString('base64url');
    writeFileSync(join(dir, 'cluster.id'), bad);
    const told: string[] = [];
    const id = clusterIdFor(dir, (line) => told.push(line));
    expect(id).not.toBe(bad);
    expect(usableClusterId(id)).toBe(true);
    expect(readFileSync(join(dir, 'cluster.id'), 'utf8')).toBe(id);
    expect(told.join('\n')).toMatch(/replacing the unusable Kafka cluster id/);
  });

  it('keeps the id formatted storage holds, whatever it looks like', () => {
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'meta.properties'), 'node.id=1\ncluster.id=-Pcs3u8LyStdwWWeTKGy7A\nversion=1\n');
    expect(clusterIdFor(dir)).toBe('-Pcs3u8LyStdwWWeTKGy7A');
    expect(existsSync(join(dir, 'cluster.id'))).toBe(false);
  });
});
