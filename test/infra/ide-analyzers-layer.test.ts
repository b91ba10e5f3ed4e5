/**
 * The IDE bridge's analyzers ship as a Lambda layer (its place in the stack is checked in
 * platform-stack.test.ts). Here, the deployed shape works: the analyze function bundled as the stack bundles
 * it, with nothing but the assembled layer on NODE_PATH (as Lambda mounts it at /opt/nodejs/node_modules),
 * answers TypeScript, Python, tree-sitter, YAML and HTML.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ideBridgeManifest } from '#functions/ide-bridge/ide-bridge.manifest.ts';
import { bundling, functionBuildOptions } from '#lib/bundling.ts';
import { layers } from '#shared/resources.ts';
import { assembleLayer, packageClosure } from '../../lib/constructs/layers.construct.ts';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';

describe('the analyze function on the layer alone', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'mls-layer-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('answers every analyzer family', async () => {
    const closure = packageClosure(PROJECT_ROOT, layers.ideAnalyzers.packages);
    assembleLayer(closure, path.join(root, 'opt'));
    expect(
      readdirSync(path.join(root, 'opt', 'nodejs', 'node_modules', 'typescript6', 'lib')).some((f) => f.endsWith('.map') || f === '_tsc.js'),
    ).toBe(false);
    const spec = ideBridgeManifest.functions.find((f) => f.name === 'ide-analyze')!;
    // Built as the stack builds it (lib/bundling.ts): index.mjs and its chunks, the layer's packages external.
    await build(
      functionBuildOptions(path.join(PROJECT_ROOT, spec.entry), path.join(root, 'task'), [...bundling.external, ...layers.ideAnalyzers.packages]),
    );
    const requests = [
      ['typescript', 'a.ts', 'const n: number = "s";\n'],
      ['python', 'a.py', 'n: int = "s"\n'],
      ['go', 'a.go', 'package main\nfunc main() { x := }\n'],
      ['yaml', 'a.yaml', 'a: 1\na: 2\n'],
      ['html', 'a.html', '<p></div>\n'],
    ];
    // The event API Gateway sends once the authorizer has run; the handler is imported like Lambda does.
    writeFileSync(
      path.join(root, 'task', 'invoke.mjs'),
      `import { handler } from './index.mjs';
const out = [];
for (const [language, path, content] of ${JSON.stringify(requests)}) {
  const event = { httpMethod: 'POST', path: '/v1/ide/analyze', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language, files: [{ path, content }] }),
    requestContext: { requestId: 'r-' + language, authorizer: { userId: 'u', tenantId: 't', roles: 'viewer' } } };
  const res = await handler(event, { getRemainingTimeInMillis: () => 29000, functionName: 'mls-test-ide-analyze', awsRequestId: 'a' });
  const body = JSON.parse(res.body);
  out.push([res.statusCode, body.analyzer?.name, body.diagnostics?.map((d) => d.code)]);
}
console.log(JSON.stringify(out));
process.exit(0);
`,
    );
    const run = spawnSync(process.execPath, [path.join(root, 'task', 'invoke.mjs')], {
      cwd: path.join(root, 'task'),
      // Nothing of the project's node_modules is reachable: only the layer, where Lambda puts it.
      env: {
        PATH: process.env.PATH,
        NODE_PATH: path.join(root, 'opt', 'nodejs', 'node_modules'),
        AWS_REGION: 'us-east-1',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual([
      [200, 'typescript', [2322]],
      [200, 'pyright', ['reportAssignmentType']],
      [200, 'tree-sitter', ['missing']],
      [200, 'yaml', ['DUPLICATE_KEY']],
      [200, 'parse5', ['structure']],
    ]);
  });
});
