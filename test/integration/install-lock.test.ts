import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withInstallLock } from '../../deploy/local/install-lock';

describe('installing into the shared cache', () => {
  let cache: string;
  beforeEach(() => (cache = mkdtempSync(join(tmpdir(), 'install-lock-'))));
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('lets one start install while another waits and then finds the install done', async () => {
    const target = join(cache, 'kafka-x');
    const done = join(target, '.complete');
    const spans: { who: string; from: number; to: number; installed: boolean }[] = [];
    const said: string[] = [];
    const install = (who: string) =>
      withInstallLock(target, 'Kafka x', (line) => said.push(line), async () => {
        const from = Date.now();
        const installed = !existsSync(done);
        if (installed) {
          await new Promise((r) => setTimeout(r, 400));
          mkdirSync(target, { recursive: true });
          writeFileSync(done, who);
        }
        spans.push({ who, from, to: Date.now(), installed });
      });
    await Promise.all([install('a'), install('b')]);
    spans.sort((x, y) => x.from - y.from);
    expect(spans[1].from).toBeGreaterThanOrEqual(spans[0].to);
    expect(spans.map((s) => s.installed)).toEqual([true, false]);
    expect(said).toEqual([`waiting for another process (pid ${process.pid}) that is installing Kafka x`]);
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('takes over a lock left by a process that died', async () => {
    const target = join(cache, 'ferretdb-x');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    mkdirSync(`${target}.lock`);
    writeFileSync(join(`${target}.lock`, 'pid'), String(dead));
    const started = Date.now();
    await expect(withInstallLock(target, 'FerretDB x', () => undefined, async () => 'built')).resolves.toBe('built');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
