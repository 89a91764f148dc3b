import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run deps:maintenance`: the direct runtime dependencies, the version installed, the newest
 * release and its date, as a Markdown table. An offline stand-in for `npm audit`, whose advisory
 * service these machines cannot reach: it shows what has fallen behind or stopped being released,
 * which is where unfixed advisories collect. Needs only the npm registry.
 */
function main(): void {
  const root = process.cwd();
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const rows = Object.keys(manifest.dependencies).map((name) => {
    const installed = (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    const view = JSON.parse(execFileSync('npm', ['view', `${name}@latest`, 'version', 'time', '--json'], { encoding: 'utf8' })) as { version: string; time: Record<string, string> };
    const released = (view.time[view.version] ?? '').slice(0, 10);
    const behind = Number(view.version.split('.')[0]) - Number(installed.split('.')[0]);
    return `| ${name} | ${installed} | ${view.version} (${released}) | ${behind > 0 ? `${behind} major behind` : 'current major'} |`;
  });
  process.stdout.write(['| dependency | installed | newest release | |', '|---|---|---|---|', ...rows].join('\n') + '\n');
}

main();
