import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { NestExpressApplication } from '@nestjs/platform-express';

/**
 * Where the built console is: beside the registry's compiled code (dist/console, from `npm run
 * build`), or under dist/ when the registry runs from its sources in tests.
 */
export function consoleDirectory(here = __dirname): string | undefined {
  return [join(here, '../../../../console'), join(here, '../../../../dist/console')].find((dir) => existsSync(join(dir, 'index.html')));
}

/**
 * The admin console: one page at `/` and its files under /console/. They hold no data (the page
 * reads everything through the REST API once signed in), so they need no credentials; they are
 * revalidated on every load so an upgrade shows at once.
 */
export function serveConsole(app: NestExpressApplication, dir: string | undefined): void {
  const noCache = (res: Response) => res.setHeader('Cache-Control', 'no-cache');
  if (!dir) {
    app.use('/', (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' || req.path !== '/') return next();
      res.status(503).type('text/plain').send('The console is not built: run npm run build (it compiles services/connection-registry/console into dist/console).');
    });
    return;
  }
  app.useStaticAssets(dir, { prefix: '/console/', index: false, redirect: false, fallthrough: false, setHeaders: noCache });
  app.use('/', (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/') return next();
    noCache(res);
    res.sendFile(join(dir, 'index.html'));
  });
}
