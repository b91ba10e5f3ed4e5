/**
 * The import rules of docs/architecture.md, checked by `npm run check:imports` (and so by .ci/run). A broken
 * rule names the importing file and the imported one. The arrows:
 *   bin -> lib -> functions/manifest.ts (+ functions/shared contracts); local -> the same;
 *   functions/<domain> -> functions/shared and -> functions/<other>/<other>.public.ts only;
 *   functions never -> lib or local; use cases and entities import no AWS SDK, pg or aws-lambda.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'functions-not-to-infrastructure',
      comment: 'Runtime code must not depend on the CDK app or the local runtime: they are built from it, not the other way round.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(lib|local|bin)/' },
    },
    {
      name: 'infrastructure-reads-only-the-gathered-manifest',
      comment:
        'lib/, local/ and bin/ may read functions/manifest.ts and the shared contracts (manifest types, resource names); handlers and domain code are only ever named by entry path.',
      severity: 'error',
      from: { path: '^(lib|local|bin)/' },
      to: {
        path: '^functions/',
        pathNot: [
          '^functions/manifest\\.ts$',
          '^functions/shared/(manifest\\.types|resources)\\.ts$',
          // n8n's owner and API key setup: the n8n monitor's deploy trigger runs it, and so does `--with-n8n` (local/n8n.ts).
          '^functions/n8n-monitor/n8n/n8n-owner(\\.adapter)?\\.ts$',
        ],
      },
    },
    {
      name: 'domains-meet-through-public-modules',
      comment: "A domain imports another domain only through that domain's <domain>.public.ts, never its internals.",
      severity: 'error',
      from: { path: '^functions/([^/]+)/', pathNot: '^functions/shared/' },
      to: {
        path: '^functions/[^/]+/',
        pathNot: ['^functions/$1/', '^functions/shared/', '^functions/([^/]+)/\\1\\.public\\.ts$'],
      },
    },
    {
      name: 'shared-depends-on-no-domain',
      comment: 'functions/shared is what every domain uses; it must not know any of them.',
      severity: 'error',
      from: { path: '^functions/shared/' },
      to: { path: '^functions/', pathNot: '^functions/shared/' },
    },
    {
      name: 'only-openapi-reads-the-gathered-manifest',
      comment: 'Inside functions/, only the OpenAPI document (which describes every route) reads functions/manifest.ts.',
      severity: 'error',
      from: { path: '^functions/[^/]+/', pathNot: '^functions/platform/get-openapi\\.handler\\.ts$' },
      to: { path: '^functions/manifest\\.ts$' },
    },
    {
      name: 'use-cases-and-entities-hold-no-io',
      comment:
        'Use cases (*.service.ts) and entities (<entity>.ts, no role suffix) get their I/O as ports; SDK clients, pg and Lambda types belong to adapters, composition roots and handlers.',
      severity: 'error',
      from: {
        path: ['^functions/[^/]+/[a-z0-9-]+\\.ts$', '^functions/[^/]+/[^/]+/[a-z0-9-]+\\.ts$', '\\.service\\.ts$'],
        // The shared middleware stacks and clients are the adapters every domain's handlers build on.
        pathNot: '^functions/shared/',
      },
      to: { path: '(^|/)node_modules/(@aws-sdk/|pg/|@types/pg/|@types/aws-lambda/)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|\\.mls)/' },
    // Type-only imports count: an entity that names an SDK type depends on the SDK all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
