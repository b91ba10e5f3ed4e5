/**
 * IDE bridge analysis of a 1,000-line TypeScript file, beside `tsc --noEmit` (TypeScript 6, same options) on
 * the same file, all measured here, in this run:
 * - cold: a fresh Node process imports the analyze function as the stack bundles it (esbuild, lib/bundling.ts;
 *   the layer's packages resolved from node_modules as Lambda resolves them from the layer) and answers one
 *   request: a Lambda cold start less the layer's download. Against a fresh `tsc --noEmit` process;
 * - warm: POST /v1/ide/analyze through the local runtime, p50/p99 of sequential requests, each with the file
 *   changed (as an editor sends it: nothing cached but the standard library, which stays parsed);
 * - completion round trip without the model: POST /v1/ide/complete with `useModel: false`;
 * - through `mls lsp --stdio` (a child process driven by an LSP client, as an editor runs it, the project on
 *   disk): an edit (`didChange`) to the `publishDiagnostics` of that version, with the server's debounce set
 *   to 0 so the number is the round trip itself; and a `textDocument/completion` round trip (the compiler's
 *   items only, the server's default).
 * Only the ratios mean anything; absolute numbers move with the machine's load.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundling } from '#lib/bundling.ts';
import { layers } from '#shared/resources.ts';
import { startLspClient } from '../test/ide-bridge/lsp-client.ts';
import { startBenchRuntime } from './bench-runtime.ts';

const COLD_RUNS = Number(process.env.BENCH_IDE_COLD_RUNS ?? 5);
const WARM_RUNS = Number(process.env.BENCH_IDE_WARM_RUNS ?? 40);
const ROOT = path.resolve(import.meta.dirname, '..');

/** 1,000 lines of ordinary TypeScript (interfaces, classes, generics, closures) with one type error at the end. */
export const thousandLines = (): string => {
  const lines: string[] = ["import { readFileSync } from './fs-shim';", ''];
  for (let i = 0; lines.length < 990; i++) {
    lines.push(
      `export interface Item${i} { id: number; name: string; tags: readonly string[]; parent?: Item${i} }`,
      `export class Store${i}<T extends Item${i}> {`,
      '  readonly #items = new Map<number, T>();',
      '  add(item: T): this {',
      '    this.#items.set(item.id, item);',
      '    return this;',
      '  }',
      `  find(predicate: (item: T) => boolean): T | undefined {`,
      '    for (const item of this.#items.values()) if (predicate(item)) return item;',
      '    return undefined;',
      '  }',
      '  names(): string[] {',
      '    return [...this.#items.values()].map((item) => item.name + "#" + item.id).sort();',
      '  }',
      '}',
      `export const load${i} = (file: string): Item${i}[] => JSON.parse(readFileSync(file)) as Item${i}[];`,
      '',
    );
  }
  while (lines.length < 999) lines.push('');
  lines.push('export const broken: number = load0("x").length > 0 ? "yes" : 0;');
  return lines.slice(0, 1000).join('\n');
};

const SHIM = 'export const readFileSync = (file: string): string => file;\n';
const OPTIONS = {
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  strict: true,
  jsx: 'preserve',
  skipLibCheck: true,
  types: [] as string[],
  noEmit: true,
};

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

const timed = (command: string, args: string[], cwd: string, env: Record<string, string> = {}): number => {
  const started = performance.now();
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
  });
  const ms = performance.now() - started;
  // tsc exits 2 when it reports errors (the file has one on purpose).
  if (r.status !== 0 && r.status !== 2) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr.slice(0, 500)}`);
  return ms;
};

export async function runIdeBench(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mls-ide-bench-'));
  const source = thousandLines();
  try {
    writeFileSync(path.join(dir, 'big.ts'), source);
    writeFileSync(path.join(dir, 'fs-shim.ts'), SHIM);
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: OPTIONS, files: ['big.ts', 'fs-shim.ts'] }));
    const files = [
      { path: 'big.ts', content: source },
      { path: 'fs-shim.ts', content: SHIM },
    ];
    const request = { language: 'typescript', files, target: 'big.ts', options: { strict: true } };

    // One request as Lambda's first invocation: import the bundled handler, call it, check the answer.
    await build({
      ...bundling,
      mainFields: [...bundling.mainFields],
      external: [...bundling.external, ...layers.ideAnalyzers.packages],
      banner: { js: bundling.banner },
      entryPoints: [path.join(ROOT, 'functions/ide-bridge/analyze.handler.ts')],
      bundle: true,
      outfile: path.join(dir, 'task', 'index.mjs'),
      logLevel: 'error',
    });
    writeFileSync(
      path.join(dir, 'task', 'cold.mjs'),
      `import { handler } from './index.mjs';
const res = await handler({ httpMethod: 'POST', path: '/v1/ide/analyze', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(request))},
  requestContext: { requestId: 'bench', authorizer: { userId: 'u', tenantId: 't', roles: 'viewer' } } }, { getRemainingTimeInMillis: () => 29000, functionName: 'bench', awsRequestId: 'b' });
if (res.statusCode !== 200 || JSON.parse(res.body).diagnostics.length !== 1) { console.error(res.body); process.exit(1); }
process.exit(0);`,
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript6', 'bin', 'tsc');
    timed(process.execPath, [tsc, '-p', 'tsconfig.json'], dir); // file system cache warm-up, not counted
    const tscRuns = Array.from({ length: COLD_RUNS }, () => timed(process.execPath, [tsc, '-p', 'tsconfig.json'], dir));
    const coldRuns = Array.from({ length: COLD_RUNS }, () =>
      timed(process.execPath, [path.join(dir, 'task', 'cold.mjs')], path.join(dir, 'task'), { NODE_PATH: path.join(ROOT, 'node_modules') }),
    );
    const tscMs = percentile(tscRuns, 50);

    const runtime = await startBenchRuntime({ POWERTOOLS_LOG_LEVEL: 'ERROR' });
    try {
      const post = async (route: string, body: unknown): Promise<number> => {
        const started = performance.now();
        const res = await fetch(`${runtime.restUrl}/v1/ide/${route}`, {
          method: 'POST',
          headers: { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${route} answered ${res.status}: ${text.slice(0, 300)}`);
        return performance.now() - started;
      };
      // After `this.#items.` in a method: the members of a Map.
      const completion = { language: 'typescript', files, target: 'big.ts', position: { line: 6, character: 16 }, useModel: false };
      await post('analyze', request);
      await post('complete', completion);
      // Every request differs from the last (an edit at the end), as an editor's do.
      const edited = (i: number) => [{ path: 'big.ts', content: `${source}\n// edit ${i}` }, files[1]!];
      const warm = [];
      for (let i = 0; i < WARM_RUNS; i++) warm.push(await post('analyze', { ...request, files: edited(i) }));
      const complete = [];
      for (let i = 0; i < WARM_RUNS; i++) complete.push(await post('complete', { ...completion, files: edited(WARM_RUNS + i) }));

      log(`ide: a ${source.split('\n').length}-line TypeScript file (${(Buffer.byteLength(source) / 1024).toFixed(0)} KiB), TypeScript 6 both sides`);
      log(`  ${'tsc --noEmit (fresh process)'.padEnd(44)} p50 ${tscMs.toFixed(0).padStart(6)} ms   (baseline, ${COLD_RUNS} runs)`);
      const row = (name: string, values: number[]) =>
        log(
          `  ${name.padEnd(44)} p50 ${percentile(values, 50).toFixed(0).padStart(6)} ms   p99 ${percentile(values, 99).toFixed(0).padStart(6)} ms   ${(percentile(values, 50) / tscMs).toFixed(2)}x tsc`,
        );
      row(`analyze, cold (fresh process, ${COLD_RUNS} runs)`, coldRuns);
      row(`analyze, warm (local runtime, ${WARM_RUNS} requests)`, warm);
      row(`complete without the model (${WARM_RUNS} requests)`, complete);

      // The same file through the language server, as an editor sees it.
      const lsp = startLspClient(['--url', runtime.restUrl, '--key', runtime.apiKey], { cwd: dir });
      try {
        await lsp.initialize(pathToFileURL(dir).href, { diagnostics: { debounceMs: 0 } });
        const uri = pathToFileURL(path.join(dir, 'big.ts')).href;
        lsp.open(uri, 'typescript', source);
        await lsp.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri, { timeoutMs: 60_000 });
        const roundTrips = [];
        for (let i = 0; i < WARM_RUNS; i++) {
          const mark = lsp.mark();
          const started = performance.now();
          // Line 1 is empty: it becomes a growing comment, one keystroke per round.
          const version =
            i === 0
              ? lsp.change(uri, { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, '//')
              : lsp.change(uri, { start: { line: 1, character: i + 1 }, end: { line: 1, character: i + 1 } }, 'x');
          const published = await lsp.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === version, {
            after: mark,
            timeoutMs: 60_000,
          });
          roundTrips.push(performance.now() - started);
          if (published.diagnostics.length !== 1) throw new Error(`expected the one error, got ${JSON.stringify(published.diagnostics)}`);
        }
        // Completion right after a keystroke, as in an editor; the analysis the edit triggers is held back
        // (debounce) so that the number is the completion's alone.
        await lsp.connection.sendNotification('workspace/didChangeConfiguration', { settings: { mls: { diagnostics: { debounceMs: 10_000 } } } });
        const completions = [];
        for (let i = 0; i < WARM_RUNS; i++) {
          lsp.change(uri, { start: { line: 1, character: WARM_RUNS + i + 1 }, end: { line: 1, character: WARM_RUNS + i + 1 } }, 'y');
          const started = performance.now();
          const list = (await lsp.connection.sendRequest('textDocument/completion', {
            textDocument: { uri },
            position: { line: 6, character: 16 },
          })) as {
            items: unknown[];
          };
          completions.push(performance.now() - started);
          if (list.items.length === 0) throw new Error('the completion list is empty');
        }
        row(`LSP edit -> publishDiagnostics (${WARM_RUNS} edits)`, roundTrips);
        row(`LSP completion after an edit, no model (${WARM_RUNS})`, completions);
      } finally {
        await lsp.stop();
      }
    } finally {
      await runtime.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
