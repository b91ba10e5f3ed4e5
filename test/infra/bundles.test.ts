/**
 * Every function of the manifest bundles as the stack bundles it (lib/bundling.ts `functionBuildOptions`: its
 * own folder, code splitting, a layer's packages external): an import that does not resolve, a Node built-in
 * used the wrong way, a dependency esbuild cannot follow, fails here with the entry named, without
 * synthesizing a hundred assets. Then every bundle is imported, as Lambda does on a cold start:
 * a bundle that builds can still fail to load (esbuild leaving out a lazily initialised module's init call,
 * lib/bundling.ts), and no other test runs the bundled code.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { flatManifest } from '#functions/manifest.ts';
import { bundling, functionBuildOptions, importEnvironment } from '#lib/bundling.ts';
import { allFunctionSpecs, type FunctionSpec } from '#shared/manifest.types.ts';
import { layers } from '#shared/resources.ts';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';

// Inside the project, so a layer's packages (external to the bundle) resolve as they do from /opt/nodejs.
const cache = path.join(PROJECT_ROOT, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const out = mkdtempSync(path.join(cache, 'mls-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const externalsOf = (spec: FunctionSpec): string[] => [...bundling.external, ...(spec.layers ?? []).flatMap((name) => layers[name].packages)];

describe('bundles', () => {
  it('builds every function of the manifest', async () => {
    const specs = allFunctionSpecs(flatManifest);
    // One build per function, as the stack builds it (its own folder: index.mjs and its chunks), two at a time.
    const queue = [...specs];
    const worker = async (): Promise<void> => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const result = await build({
          ...functionBuildOptions(path.join(PROJECT_ROOT, spec.entry), path.join(out, spec.name), externalsOf(spec)),
          sourcemap: false,
          logLevel: 'silent',
        });
        expect(result.errors).toEqual([]);
      }
    };
    await Promise.all([worker(), worker()]);
    for (const spec of specs) expect(`${spec.name}: ${statSync(path.join(out, spec.name, 'index.mjs')).size > 0}`).toBe(`${spec.name}: true`);

    // One process imports them all in turn (each its own module graph), with the configuration a function's
    // module scope may read but no service behind it: loading must not need one. Then every chunk of it, as
    // an `import()` in the handler would load it on first use (a chunk that cannot load fails there, later).
    const importAll = `
      const { readdirSync } = await import('node:fs');
      const failed = {};
      for (const name of ${JSON.stringify(specs.map((s) => s.name))}) {
        const dir = ${JSON.stringify(`${out}/`)} + name + '/';
        const files = ['index.mjs', ...readdirSync(dir).filter((f) => f.startsWith('chunk-') && f.endsWith('.mjs'))];
        for (const file of files) {
          try { await import(dir + file); }
          catch (error) { failed[name + '/' + file] = String(error?.stack ?? error).split('\\n').slice(0, 3).join(' | '); }
        }
      }
      process.stdout.write('\\n--- failed imports ---\\n' + JSON.stringify(failed));
      process.exit(0);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', importAll], {
      env: importEnvironment(),
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(JSON.parse(stdout.split('\n--- failed imports ---\n')[1]!)).toEqual({});
  }, 300_000);
});
