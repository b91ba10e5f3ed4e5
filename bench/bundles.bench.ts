/**
 * Per function: the deployed bundle's size (esbuild with the stack's settings, lib/bundling.ts) and the
 * time to import it in a fresh Node process, against starting an empty Node process, in the same run.
 * The difference is the module-loading part of a cold start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundling } from '#lib/bundling.ts';
import { flatManifest as manifest } from '#functions/manifest.ts';

const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 7);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Wall-clock ms of `node -e <code>`, median of RUNS fresh processes. */
const timeNode = (code: string): number =>
  median(
    Array.from({ length: RUNS }, () => {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
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
      return Number(process.hrtime.bigint() - start) / 1e6;
    }),
  );

export async function runBundlesBench(log: (line: string) => void): Promise<void> {
  const specs = [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions];
  const out = mkdtempSync(path.join(tmpdir(), 'mls-bundles-'));
  try {
    const empty = timeNode('');
    log(`bundles: ${specs.length} functions, import time = median of ${RUNS} fresh processes; empty node process ${empty.toFixed(0)} ms`);
    log(`  ${'function'.padEnd(28)} ${'bundle'.padStart(9)}   ${'import'.padStart(8)}   ${'minus empty'.padStart(11)}`);
    for (const spec of specs) {
      const outfile = path.join(out, spec.name, 'index.mjs');
      await build({
        ...bundling,
        mainFields: [...bundling.mainFields],
        external: [...bundling.external],
        banner: { js: bundling.banner },
        entryPoints: [spec.entry],
        bundle: true,
        outfile,
        logLevel: 'error',
      });
      const size = statSync(outfile).size;
      const imported = timeNode(`await import(${JSON.stringify(pathToFileURL(outfile).href)});`);
      log(
        `  ${spec.name.padEnd(28)} ${`${(size / 1024).toFixed(0)} KiB`.padStart(9)}   ${`${imported.toFixed(0)} ms`.padStart(8)}   ${`+${(imported - empty).toFixed(0)} ms`.padStart(11)}`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
