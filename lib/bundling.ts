/**
 * How every function is bundled: esbuild's settings, and the options of one function's build (below), which
 * the stack, the benchmark and the bundle test all use, so the benchmark measures what gets deployed.
 */
import type { BuildOptions } from 'esbuild';

export const bundling = {
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // Side-effect annotations (`"sideEffects": false` in package.json, `@__PURE__`) are not trusted. A module
  // reached through `import()` (loaded on first use: the MCP client, the rate limiter) is wrapped by esbuild
  // for lazy initialisation together with everything it imports; a package it shares with the static part of
  // the bundle (zod, through the MCP SDK) is then wrapped too, and for a package that declares itself free of
  // side effects esbuild leaves out the call that initialises it before a static importer runs: the bundle
  // fails at its first `z.coerce.number()` with "is not a constructor" (esbuild 0.28). Trusting nothing keeps
  // every initialisation call, for a few per cent of bundle size. test/infra/bundles.test.ts imports every
  // bundle to prove it loads.
  ignoreAnnotations: true,
  // ESM bundles still meet CommonJS dependencies that call require(); give them one.
  banner: "import { createRequire as __mlsCreateRequire } from 'node:module'; const require = __mlsCreateRequire(import.meta.url);",
  // pg's optional native binding; the pure JS client is what runs in Lambda.
  external: ['pg-native'],
} as const;

/**
 * The esbuild options of one function's bundle: its handler's module in `index.mjs`, and everything reached
 * only through `import()` (the rate limiter and its DynamoDB client, the audit trail's PostgreSQL and
 * EventBridge clients, the Tracer and the X-Ray SDK, each model provider's SDK, the credential providers
 * the SDK loads on demand) in chunk files next to it. Lambda's cold start imports `index.mjs` and the chunks
 * it imports statically; a chunk behind `import()` is read and compiled only when the code gets there. One
 * file held all of it before, and V8 compiled the whole file at import, run or not (docs/performance.md,
 * "Cold start"). The chunks sit beside `index.mjs` so that `import.meta.url` means the same folder in all
 * of them (migrate finds its bundled `migrations/` there).
 *
 * Used by the stack (lib/constructs/functions.construct.ts), `npm run bench -- bundles` and
 * test/infra/bundles.test.ts, so what is measured and tested is what gets deployed.
 */
export const functionBuildOptions = (entry: string, outdir: string, external: readonly string[] = bundling.external) =>
  ({
    ...bundling,
    mainFields: [...bundling.mainFields],
    external: [...external],
    banner: { js: bundling.banner },
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  }) satisfies BuildOptions;

/**
 * The environment a bundle is imported with outside Lambda (the bundle test, the cold-start bench): the
 * configuration a function's module scope may read, and no service behind it, since loading must not need one.
 */
export const importEnvironment = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
