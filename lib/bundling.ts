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
  // ESM bundles still meet CommonJS dependencies that call require(); give them one.
  banner: "import { createRequire as __mlsCreateRequire } from 'node:module'; const require = __mlsCreateRequire(import.meta.url);",
  // pg's optional native binding; the pure JS client is what runs in Lambda.
  external: ['pg-native'],
} as const;
