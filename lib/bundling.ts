/**
 * How every function is bundled, as plain esbuild settings: the stack hands them to NodejsFunction and
 * `npm run bench` bundles with them directly, so the benchmark measures what gets deployed.
 */
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
