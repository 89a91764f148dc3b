import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installKafka, LocalKafka, startKafka } from '../../deploy/local/kafka';
import { freePort } from '../../deploy/local/process';

describe('a local Kafka data directory whose saved cluster id starts with "-"', () => {
  let dir: string;
  let kafka: LocalKafka | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-id-'));
  });

  afterAll(async () => {
    await kafka?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('formats with a new id and starts (an earlier version saved such ids and then failed every start)', async () => {
    const dataDir = join(dir, 'kafka');
    mkdirSync(dataDir);
    // What a start with the earlier version left behind: the id saved, the storage unformatted.
    writeFileSync(join(dataDir, 'cluster.id'), '-Pcs3u8LyStdwWWeTKGy7A');
    const libs = await installKafka(() => undefined);
    kafka = await startKafka(libs, { port: await freePort(), controllerPort: await freePort(), dataDir, logFile: join(dir, 'kafka.log') });
    const saved = readFileSync(join(dataDir, 'cluster.id'), 'utf8');
    const formatted = /^cluster\.id=(.+)$/m.exec(readFileSync(join(dataDir, 'logs', 'meta.properties'), 'utf8'))?.[1];
    expect(saved).not.toMatch(/^-/);
    expect(formatted).toBe(saved);
  }, 120000);
});
