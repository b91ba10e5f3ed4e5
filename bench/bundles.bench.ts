/**
 * Per function: the deployed bundle's size (esbuild with the stack's settings, lib/bundling.ts) and the
 * time to import it in a fresh Node process, against starting an empty Node process, in the same run.
 * The difference is the module-loading part of a cold start. The empty process is timed between the
 * functions too, so a change in the machine's load moves the floor with it; each import is compared with
 * the median floor.
 *
 * Why a bundle holds what it holds: every bundle's esbuild metafile is kept in BENCH_BUNDLES_META (default
 * bench/.bundles/, untracked) and its largest packages are printed with `BENCH_BUNDLES_TOP=n`; open a
 * metafile in https://esbuild.github.io/analyze/ for the import chain of any module. `BENCH_BUNDLES=a,b`
 * measures only those functions (the targets still need the full set).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { bundling } from '#lib/bundling.ts';
import { flatManifest as manifest } from '#functions/manifest.ts';
import { record } from './results.ts';

const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 7);
const ONLY = process.env.BENCH_BUNDLES?.split(',').filter(Boolean);
const TOP = Number(process.env.BENCH_BUNDLES_TOP ?? 0);
const META_DIR = process.env.BENCH_BUNDLES_META ?? path.join(import.meta.dirname, '.bundles');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * One fresh process running `code`: its wall-clock ms, and the CPU ms (user + system) it used, which it
 * reports itself as it ends. CPU time is what a Lambda's own vCPU spends; on a shared machine it moves far
 * less with the load than wall-clock time does, so both are shown.
 */
const timeOnce = (code: string): { wall: number; cpu: number } => {
  const start = process.hrtime.bigint();
  const report = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${code}\n${report}`], {
    // Module scope may read its configuration; it must not need real services to load.
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr.slice(0, 500)}`);
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: Number(r.stdout) };
};

interface Floors {
  wall: number[];
  cpu: number[];
}

/** Medians of RUNS fresh processes importing `file`, each run next to an empty process (the floor). */
const timeImport = (file: string, floors: Floors): { wall: number; cpu: number } => {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const empty = timeOnce('');
    floors.wall.push(empty.wall);
    floors.cpu.push(empty.cpu);
    const t = timeOnce(`await import(${JSON.stringify(pathToFileURL(file).href)});`);
    wall.push(t.wall);
    cpu.push(t.cpu);
  }
  return { wall: median(wall), cpu: median(cpu) };
};

/** Bytes in the bundle per npm package (or per source folder of this repository), largest first. */
const packagesOf = (meta: Metafile): Array<[string, number]> => {
  const output = Object.values(meta.outputs).find((o) => o.entryPoint !== undefined)!;
  const sizes = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? path.dirname(file);
    sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
};

export async function runBundlesBench(log: (line: string) => void): Promise<void> {
  const specs = [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions].filter((s) => !ONLY || ONLY.includes(s.name));
  const out = mkdtempSync(path.join(tmpdir(), 'mls-bundles-'));
  mkdirSync(META_DIR, { recursive: true });
  const floors: Floors = { wall: [], cpu: [] };
  const over = new Map<string, number>();
  const failed: string[] = [];
  try {
    log(`bundles: ${specs.length} functions, import time = median of ${RUNS} fresh processes, each next to an empty one (the floor)`);
    log(
      `  ${'function'.padEnd(28)} ${'bundle'.padStart(9)}   ${'import'.padStart(8)}   ${'minus floor'.padStart(11)}   ${'CPU minus floor'.padStart(15)}`,
    );
    for (const spec of specs) {
      const outfile = path.join(out, spec.name, 'index.mjs');
      const result = await build({
        ...bundling,
        mainFields: [...bundling.mainFields],
        external: [...bundling.external],
        banner: { js: bundling.banner },
        entryPoints: [spec.entry],
        bundle: true,
        outfile,
        metafile: true,
        logLevel: 'error',
      });
      writeFileSync(path.join(META_DIR, `${spec.name}.json`), JSON.stringify(result.metafile));
      const size = statSync(outfile).size;
      let imported: { wall: number; cpu: number };
      try {
        imported = timeImport(outfile, floors);
      } catch (error) {
        failed.push(spec.name);
        log(`  ${spec.name.padEnd(28)} ${`${(size / 1024).toFixed(0)} KiB`.padStart(9)}   FAILED: ${(error as Error).message.split('\n')[0]}`);
        continue;
      }
      const floor = median(floors.wall);
      over.set(spec.name, imported.wall - floor);
      log(
        `  ${spec.name.padEnd(28)} ${`${(size / 1024).toFixed(0)} KiB`.padStart(9)}   ${`${imported.wall.toFixed(0)} ms`.padStart(8)}   ${`+${(imported.wall - floor).toFixed(0)} ms`.padStart(11)}   ${`+${(imported.cpu - median(floors.cpu)).toFixed(0)} ms`.padStart(15)}`,
      );
      for (const [pkg, bytes] of packagesOf(result.metafile).slice(0, TOP)) log(`      ${`${(bytes / 1024).toFixed(1)} KiB`.padStart(10)}  ${pkg}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }

  // The issue's targets, as wall-clock ms over the empty process (its median over the whole run).
  const floor = median(floors.wall);
  log(`  floor: empty node process ${floor.toFixed(0)} ms wall, ${median(floors.cpu).toFixed(0)} ms CPU`);
  const row = (figure: string, value: number, limit: number) =>
    // value: ms over the floor (an empty Node process, in ms); ratio: the import's whole time over the floor's.
    record(log, { figure, value, unit: 'ms', floor, ratio: (floor + value) / floor, target: `<= +${limit} ms`, met: value <= limit });
  for (const name of ['health', 'get-me']) {
    const value = over.get(name);
    if (value !== undefined) row(`cold start: ${name} bundle import over an empty node process`, value, 30);
  }
  if (!ONLY) {
    const all = [...over.values()];
    row('cold start: median function bundle import over an empty node process', median(all), 60);
    const [slowest, worst] = [...over].reduce((a, b) => (b[1] > a[1] ? b : a));
    log(`  slowest: ${slowest}`);
    row('cold start: slowest function bundle import over an empty node process', worst, 150);
  }
  // After the figures, so a broken bundle does not hide the others' numbers; it still fails the run.
  if (failed.length > 0) throw new Error(`bundles that fail to import (a cold start in Lambda would fail the same way): ${failed.join(', ')}`);
}
