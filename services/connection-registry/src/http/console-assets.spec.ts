import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { consoleDirectory, serveConsole } from './console-assets';

@Module({})
class Empty {}

async function serving(dir: string | undefined): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await NestFactory.create<NestExpressApplication>(Empty, { logger: false });
  serveConsole(app, dir);
  await app.listen(0, '127.0.0.1');
  return { url: await app.getUrl(), close: () => app.close() };
}

describe('the console files', () => {
  const built = mkdtempSync(join(tmpdir(), 'console-'));
  mkdirSync(join(built, 'dist/services/connection-registry/src/http'), { recursive: true });
  mkdirSync(join(built, 'dist/console'));
  writeFileSync(join(built, 'dist/console/index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(built, 'dist/console/app.js'), 'export {};');

  it('are found beside the compiled registry, and under dist/ when it runs from its sources', () => {
    expect(consoleDirectory(join(built, 'dist/services/connection-registry/src/http'))).toBe(join(built, 'dist/console'));
    expect(consoleDirectory(join(built, 'services/connection-registry/src/http'))).toBe(join(built, 'dist/console'));
    expect(consoleDirectory(join(tmpdir(), 'nowhere/a/b/c'))).toBeUndefined();
  });

  it('serve the page at / and its scripts under /console/, revalidated on every load', async () => {
    const { url, close } = await serving(join(built, 'dist/console'));
    try {
      const page = await fetch(`${url}/`);
      expect([page.status, page.headers.get('cache-control'), await page.text()]).toEqual([200, 'no-cache', '<!doctype html><title>console</title>']);
      const script = await fetch(`${url}/console/app.js`);
      expect([script.status, script.headers.get('content-type')]).toEqual([200, expect.stringContaining('javascript')]);
      expect((await fetch(`${url}/console/missing.js`)).status).toBe(404);
    } finally {
      await close();
    }
  });

  it('say how to build the console when it is not built', async () => {
    const { url, close } = await serving(undefined);
    try {
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('run npm run build');
    } finally {
      await close();
    }
  });
});
