import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import libCoverage, { CoverageMap, FileCoverageData } from 'istanbul-lib-coverage';
import v8ToIstanbul from 'v8-to-istanbul';
import { projectRoot } from '../../deploy/local/paths';

/**
 * Line coverage of the product code (services/, libs/, deploy/) over the whole `npm test`: what jest
 * measured in its own processes (coverage/coverage-final.json) plus what the services it ran as
 * child processes executed (raw V8 coverage in coverage/children, mapped back to the TypeScript
 * through the build's source maps). A service killed with SIGKILL writes none, so figures are a
 * lower bound. Prints one row per folder and fails below the floor.
 */

/** The floor: `npm test` fails when the product code's line coverage drops below it (93.9 % measured on 2026-11-28). */
export const LINE_FLOOR = 90;

const root = projectRoot();
const PRODUCT = /^(services|libs|deploy)\//;

const productPath = (file: string): string | undefined => {
  const rel = relative(root, file).split(sep).join('/');
  return PRODUCT.test(rel) && !/\.(spec|test)\.ts$/.test(rel) && rel.endsWith('.ts') ? rel : undefined;
};

async function childCoverage(dir: string): Promise<CoverageMap> {
  const map = libCoverage.createCoverageMap({});
  if (!existsSync(dir)) return map;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const raw = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { result: { url: string; functions: Parameters<ReturnType<typeof v8ToIstanbul>['applyCoverage']>[0] }[] };
    for (const script of raw.result) {
      if (!script.url.startsWith('file://')) continue;
      const file = fileURLToPath(script.url);
      if (!file.startsWith(join(root, 'dist') + sep) || file.includes(`${sep}node_modules${sep}`)) continue;
      const converter = v8ToIstanbul(file, 0);
      await converter.load();
      converter.applyCoverage(script.functions);
      const data = converter.toIstanbul() as Record<string, FileCoverageData>;
      for (const [path, coverage] of Object.entries(data)) if (productPath(path)) map.merge({ [path]: coverage });
      converter.destroy();
    }
  }
  return map;
}

function folderOf(rel: string): string {
  const parts = rel.split('/');
  return parts.slice(0, 2).join('/');
}

async function main(): Promise<void> {
  const jestFile = join(root, 'coverage', 'coverage-final.json');
  if (!existsSync(jestFile)) throw new Error(`${jestFile} is missing: run jest with --coverage first (npm test does)`);
  const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(jestFile, 'utf8')));
  map.merge(await childCoverage(join(root, 'coverage', 'children')));

  const folders = new Map<string, { covered: number; total: number }>();
  for (const file of map.files()) {
    const rel = productPath(file);
    if (!rel) continue;
    const lines = map.fileCoverageFor(file).toSummary().lines;
    for (const key of [folderOf(rel), 'all product code']) {
      const f = folders.get(key) ?? { covered: 0, total: 0 };
      f.covered += lines.covered;
      f.total += lines.total;
      folders.set(key, f);
    }
  }
  const pct = (f: { covered: number; total: number }) => (f.total === 0 ? 100 : (100 * f.covered) / f.total);
  const rows = [...folders.entries()].sort(([a], [b]) => (a === 'all product code' ? 1 : b === 'all product code' ? -1 : a.localeCompare(b)));
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nLine coverage (jest processes + services run as child processes)\n${'folder'.padEnd(width)}   lines    covered/total`);
  for (const [folder, f] of rows) console.log(`${folder.padEnd(width)}  ${pct(f).toFixed(1).padStart(5)} %  ${f.covered}/${f.total}`);
  const all = pct(folders.get('all product code') ?? { covered: 0, total: 0 });
  if (all < LINE_FLOOR) {
    console.error(`\nLine coverage ${all.toFixed(1)} % is under the floor of ${LINE_FLOOR} % (tools/coverage/report.ts): add tests for the code you added.`);
    process.exitCode = 1;
  }
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
