/**
 * Per function: the deployed bundle's size (esbuild with the stack's settings, lib/bundling.ts; what a cold
 * start reads: `index.mjs` and the chunks it imports statically) and the time to import it in a fresh Node
 * process, against two floors timed in the same run, between the functions, so that a change in the
 * machine's load moves the floors with it (each import is compared with the median floor):
 * - the runtime's process: Node that has loaded `node:http`, as Lambda's runtime interface client has before
 *   it imports the handler (it polls the Runtime API with `node:http`; see `RAPIDClient` in
 *   aws/aws-lambda-nodejs-runtime-interface-client). In Node 24 `node:http` alone costs 50-100 ms of CPU (it
 *   loads Node's bundled undici), which Lambda pays whatever the function. Bundles are imported in such a
 *   process, and the import over this floor is the function's own share of a cold start: the targets apply
 *   to it;
 * - an empty Node process, as before: the import over it also holds `node:http`.
 *
 * Why a bundle holds what it holds: every bundle's esbuild metafile is kept in BENCH_BUNDLES_META (default
 * bench/.bundles/, untracked) and its largest packages are printed with `BENCH_BUNDLES_TOP=n`; open a
 * metafile in https://esbuild.github.io/analyze/ for the import chain of any module. `BENCH_BUNDLES=a,b`
 * measures only those functions (the targets still need the full set).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { functionBuildOptions, importEnvironment } from '#lib/bundling.ts';
import { flatManifest as manifest } from '#functions/manifest.ts';
import { median } from './measure.ts';
import { record } from './results.ts';

const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 7);
const ONLY = process.env.BENCH_BUNDLES?.split(',').filter(Boolean);
const TOP = Number(process.env.BENCH_BUNDLES_TOP ?? 0);
const META_DIR = process.env.BENCH_BUNDLES_META ?? path.join(import.meta.dirname, '.bundles');

/**
 * One fresh process running `code`: its wall-clock ms, and the CPU ms (user + system) it used, which it
 * reports itself as it ends. CPU time is what a Lambda's own vCPU spends; on a shared machine it moves far
 * less with the load than wall-clock time does, so both are shown.
 */
const timeOnce = (code: string): { wall: number; cpu: number } => {
  const start = process.hrtime.bigint();
  const report = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${code}\n${report}`], {
    env: importEnvironment(),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr.slice(0, 500)}`);
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: Number(r.stdout) };
};

interface Floors {
  empty: { wall: number[]; cpu: number[] };
  runtime: { wall: number[]; cpu: number[] };
}

/** What Lambda's runtime client has loaded before it imports the handler (see the top of this file). */
const RUNTIME_PRELOAD = "await import('node:http');";

/** Medians of RUNS fresh processes importing `file` after the runtime's preload, each run next to both floors. */
const timeImport = (file: string, floors: Floors): { wall: number; cpu: number } => {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const [floor, code] of [
      [floors.empty, ''],
      [floors.runtime, RUNTIME_PRELOAD],
    ] as const) {
      const t = timeOnce(code);
      floor.wall.push(t.wall);
      floor.cpu.push(t.cpu);
    }
    const t = timeOnce(`${RUNTIME_PRELOAD}\nawait import(${JSON.stringify(pathToFileURL(file).href)});`);
    wall.push(t.wall);
    cpu.push(t.cpu);
  }
  return { wall: median(wall), cpu: median(cpu) };
};

/**
 * What a cold start reads: `index.mjs` and the chunks it imports statically (transitively). Chunks behind
 * `import()` are read when the code gets there, so `total` is the whole folder and `loaded` the cold part.
 */
const coldOutputs = (meta: Metafile, outdir: string): string[] => {
  const outputs = meta.outputs;
  const entry = Object.keys(outputs).find((file) => path.resolve(file) === path.join(outdir, 'index.mjs'))!;
  const seen = new Set([entry]);
  for (const file of seen)
    for (const i of outputs[file]!.imports) if (i.kind === 'import-statement' && !i.external && i.path in outputs) seen.add(i.path);
  return [...seen];
};

const sizesOf = (meta: Metafile, outdir: string): { loaded: number; total: number } => {
  const js = Object.entries(meta.outputs).filter(([file]) => file.endsWith('.mjs'));
  const cold = new Set(coldOutputs(meta, outdir));
  return {
    loaded: js.filter(([file]) => cold.has(file)).reduce((sum, [, o]) => sum + o.bytes, 0),
    total: js.reduce((sum, [, o]) => sum + o.bytes, 0),
  };
};

/** Bytes a cold start reads per npm package (or per source folder of this repository), largest first. */
const packagesOf = (meta: Metafile, outdir: string): Array<[string, number]> => {
  const sizes = new Map<string, number>();
  for (const file of coldOutputs(meta, outdir)) {
    for (const [input, { bytesInOutput }] of Object.entries(meta.outputs[file]!.inputs)) {
      const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? path.dirname(input);
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
};

export async function runBundlesBench(log: (line: string) => void): Promise<void> {
  const specs = [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions].filter((s) => !ONLY || ONLY.includes(s.name));
  const out = mkdtempSync(path.join(tmpdir(), 'mls-bundles-'));
  mkdirSync(META_DIR, { recursive: true });
  const floors: Floors = { empty: { wall: [], cpu: [] }, runtime: { wall: [], cpu: [] } };
  const over = new Map<string, number>();
  const failed: string[] = [];
  try {
    log(
      `bundles: ${specs.length} functions, import time = median of ${RUNS} fresh processes that loaded node:http first (as Lambda's runtime client has), each next to two floors: that process alone, and an empty one`,
    );
    log(
      `  ${'function'.padEnd(28)} ${'cold read'.padStart(9)} ${'all files'.padStart(9)}   ${'import'.padStart(8)}   ${'over runtime'.padStart(12)}   ${'CPU over runtime'.padStart(16)}   ${'over empty'.padStart(10)}`,
    );
    for (const spec of specs) {
      const outdir = path.join(out, spec.name);
      const outfile = path.join(outdir, 'index.mjs');
      const result = await build({ ...functionBuildOptions(path.resolve(spec.entry), outdir), metafile: true });
      writeFileSync(path.join(META_DIR, `${spec.name}.json`), JSON.stringify(result.metafile));
      const { loaded, total } = sizesOf(result.metafile, outdir);
      let imported: { wall: number; cpu: number };
      try {
        imported = timeImport(outfile, floors);
      } catch (error) {
        failed.push(spec.name);
        log(`  ${spec.name.padEnd(28)} ${`${(loaded / 1024).toFixed(0)} KiB`.padStart(9)}   FAILED: ${(error as Error).message.split('\n')[0]}`);
        continue;
      }
      const runtime = median(floors.runtime.wall);
      over.set(spec.name, imported.wall - runtime);
      const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
      const ms = (value: number) => `+${value.toFixed(0)} ms`;
      log(
        `  ${spec.name.padEnd(28)} ${kib(loaded).padStart(9)} ${kib(total).padStart(9)}   ${`${imported.wall.toFixed(0)} ms`.padStart(8)}   ${ms(imported.wall - runtime).padStart(12)}   ${ms(imported.cpu - median(floors.runtime.cpu)).padStart(16)}   ${ms(imported.wall - median(floors.empty.wall)).padStart(10)}`,
      );
      for (const [pkg, bytes] of packagesOf(result.metafile, outdir).slice(0, TOP))
        log(`      ${`${(bytes / 1024).toFixed(1)} KiB`.padStart(10)}  ${pkg}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }

  // The issue's targets, as wall-clock ms over the runtime's process (its median over the whole run).
  const floor = median(floors.runtime.wall);
  log(
    `  floors: the runtime's process (node + node:http) ${floor.toFixed(0)} ms wall, ${median(floors.runtime.cpu).toFixed(0)} ms CPU; empty node process ${median(floors.empty.wall).toFixed(0)} ms wall, ${median(floors.empty.cpu).toFixed(0)} ms CPU`,
  );
  const row = (figure: string, value: number, limit: number) =>
    // value: ms over the floor; ratio: the import's whole time over the floor's.
    record(log, { figure, value, unit: 'ms', floor, ratio: (floor + value) / floor, target: `<= +${limit} ms`, met: value <= limit });
  for (const name of ['health', 'get-me']) {
    const value = over.get(name);
    if (value !== undefined) row(`cold start: ${name} bundle import over the Lambda runtime's process`, value, 30);
  }
  if (!ONLY) {
    const all = [...over.values()];
    row("cold start: median function bundle import over the Lambda runtime's process", median(all), 60);
    const [slowest, worst] = [...over].reduce((a, b) => (b[1] > a[1] ? b : a));
    log(`  slowest: ${slowest}`);
    row("cold start: slowest function bundle import over the Lambda runtime's process", worst, 150);
  }
  // After the figures, so a broken bundle does not hide the others' numbers; it still fails the run.
  if (failed.length > 0) throw new Error(`bundles that fail to import (a cold start in Lambda would fail the same way): ${failed.join(', ')}`);
}
