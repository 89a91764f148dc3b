import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as ts from 'typescript';
import { Emulators, startEmulators } from '../../tools/emulators/main';
import { Registry, startRegistry } from '../support/registry-harness';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

/** A CLI's exit code and output; a lint that finds errors exits non-zero. */
async function cli(name: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(bin(name), args, { cwd: root, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code: typeof code === 'number' ? code : 1, output: `${stdout}${stderr}` };
  }
}

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> }>;
}

const methods = ['get', 'put', 'post', 'patch', 'delete'] as const;

/**
 * The registry's /openapi.json as a client sees it: valid for Redocly's recommended rules and
 * Spectral's OpenAPI rules (no errors), and every operation's success answer typed in a client
 * openapi-typescript generates.
 */
describe('the OpenAPI description', () => {
  let emulators: Emulators;
  let registry: Registry;
  let dir: string;
  let file: string;
  let operations: Operation[];

  beforeAll(async () => {
    emulators = await startEmulators();
    registry = await startRegistry(emulators);
    const document = (await (await fetch(`${registry.url}/openapi.json`)).json()) as { paths: Record<string, Partial<Record<(typeof methods)[number], Operation>>> };
    dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 2));
    operations = Object.values(document.paths).flatMap((item) => methods.flatMap((m) => (item[m] ? [item[m]] : [])));
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await registry?.close();
    await emulators?.close();
  });

  it("names this registry's address as its server", async () => {
    const document = (await (await fetch(`${registry.url}/openapi.json`)).json()) as { servers: unknown };
    expect(document.servers).toEqual([expect.objectContaining({ url: registry.env.REGISTRY_PUBLIC_URL })]);
  });

  it("has no errors by Redocly's recommended rules", async () => {
    const { code, output } = await cli('redocly', ['lint', file, '--extends=recommended', '--format=stylish']);
    expect({ code, output }).toEqual({ code: 0, output });
  });

  it("has no errors by Spectral's OpenAPI rules (.spectral.yaml)", async () => {
    const { code, output } = await cli('spectral', ['lint', file, '--ruleset', join(root, '.spectral.yaml'), '--fail-severity=error']);
    expect({ code, output }).toEqual({ code: 0, output });
  });

  it('gives every operation a success answer with a schema and an example (204: no body), and lists their paging', () => {
    for (const op of operations) {
      const successes = Object.entries(op.responses).filter(([status]) => /^[23]\d\d$/.test(status));
      expect({ op: op.operationId, successes: successes.length > 0 }).toEqual({ op: op.operationId, successes: true });
      for (const [status, answer] of successes.filter(([s]) => s.startsWith('2') && s !== '204')) {
        const media = Object.values(answer.content ?? {});
        expect({ op: op.operationId, status, described: media.length > 0 && media.every((m) => m.schema && m.example !== undefined) }).toEqual({ op: op.operationId, status, described: true });
        if (media.some((m) => m.schema?.$ref?.endsWith('Page'))) {
          const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
          expect({ op: op.operationId, query }).toEqual({ op: op.operationId, query: expect.arrayContaining(['limit', 'cursor']) });
        }
      }
    }
  });

  it("types every operation's success answer in a client openapi-typescript generates", async () => {
    const types = join(dir, 'api.d.ts');
    const generated = await cli('openapi-typescript', [file, '-o', types]);
    expect(generated.code).toBe(0);
    // A type per success answer that compiles only when the generated type is neither never nor unknown.
    const checks = operations.flatMap((op) =>
      Object.entries(op.responses)
        .filter(([status, answer]) => status.startsWith('2') && answer.content)
        .flatMap(([status, answer]) => Object.keys(answer.content ?? {}).map((media) => `const ${op.operationId}_${status}_${media.replace(/\W/g, '_')}: Typed<operations['${op.operationId}']['responses'][${status}]['content']['${media}']> = true;`)),
    );
    expect(checks.length).toBeGreaterThanOrEqual(operations.length - operations.filter((op) => op.responses['204'] || op.responses['302']).length);
    const checkFile = join(dir, 'check.ts');
    writeFileSync(
      checkFile,
      ["import type { operations } from './api';", 'type Typed<T> = [T] extends [never] ? false : unknown extends T ? false : true;', ...checks, 'export {};'].join('\n'),
    );
    const program = ts.createProgram([checkFile], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  });
});
