/**
 * Every function of the manifest bundles as the stack bundles it (lib/bundling.ts; a layer's packages
 * external), in one esbuild run: an import that does not resolve, a Node built-in used the wrong way, a
 * dependency esbuild cannot follow, fails here with the entry named, without synthesizing a hundred
 * NodejsFunction assets one process at a time.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { flatManifest } from '#functions/manifest.ts';
import { bundling } from '#lib/bundling.ts';
import { allFunctionSpecs, type FunctionSpec } from '#shared/manifest.types.ts';
import { layers } from '#shared/resources.ts';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';

const out = mkdtempSync(path.join(tmpdir(), 'mls-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const externalsOf = (spec: FunctionSpec): string[] => [...bundling.external, ...(spec.layers ?? []).flatMap((name) => layers[name].packages)];

describe('bundles', () => {
  it('builds every function of the manifest', async () => {
    const specs = allFunctionSpecs(flatManifest);
    // One build per set of externals (functions on a layer leave its packages out), every entry at once.
    const groups = new Map<string, FunctionSpec[]>();
    for (const spec of specs) {
      const key = JSON.stringify(externalsOf(spec));
      groups.set(key, [...(groups.get(key) ?? []), spec]);
    }
    for (const [key, group] of groups) {
      const result = await build({
        ...bundling,
        mainFields: [...bundling.mainFields],
        external: JSON.parse(key) as string[],
        banner: { js: bundling.banner },
        entryPoints: Object.fromEntries(group.map((s) => [s.name, path.join(PROJECT_ROOT, s.entry)])),
        bundle: true,
        outdir: out,
        outExtension: { '.js': '.mjs' },
        sourcemap: false,
        logLevel: 'silent',
      });
      expect(result.errors).toEqual([]);
    }
    for (const spec of specs) expect(`${spec.name}: ${statSync(path.join(out, `${spec.name}.mjs`)).size > 0}`).toBe(`${spec.name}: true`);
  }, 300_000);
});
