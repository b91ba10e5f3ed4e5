/**
 * The import rules CI enforces (.dependency-cruiser.cjs, `npm run check:imports`) catch each kind of broken
 * arrow, naming the importing file: run on a small tree that breaks every rule once next to imports that are
 * allowed. (`npm run check` runs the same rules over the real tree.)
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';

const config = createRequire(import.meta.url)(path.join(PROJECT_ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

const files: Record<string, string> = {
  'package.json': '{ "type": "module" }',
  'functions/shared/errors.ts': 'export const e = 1;',
  'functions/shared/manifest.types.ts': 'export type T = string;',
  'functions/shared/leaky.ts': "import { b } from '../agents/b.ts'; export const l = b;",
  'functions/manifest.ts': "import { c } from './agents/agents.manifest.ts'; export const m = c;",
  'functions/agents/agents.manifest.ts': 'export const c = 1;',
  'functions/agents/b.ts': "import { e } from '../shared/errors.ts'; export const b = e;",
  'functions/agents/uses-public.ts': "import { p } from '../realtime/realtime.public.ts'; export const u = p;",
  'functions/agents/uses-internal.ts': "import { i } from '../realtime/internal.ts'; export const u = i;",
  'functions/agents/reads-gathered.handler.ts': "import { m } from '../manifest.ts'; export const r = m;",
  'functions/agents/agent.service.ts': "import pg from 'pg'; export const s = pg;",
  'functions/agents/agent.repository.ts': "import pg from 'pg'; export const r = pg;",
  'functions/agents/imports-lib.ts': "import { y } from '../../lib/y.ts'; export const x = y;",
  'functions/realtime/internal.ts': 'export const i = 1;',
  'functions/realtime/realtime.public.ts': "import { i } from './internal.ts'; export const p = i;",
  'lib/y.ts':
    "import { m } from '../functions/manifest.ts'; import type { T } from '../functions/shared/manifest.types.ts'; export const y: T = String(m);",
  'lib/z.ts': "import { b } from '../functions/agents/b.ts'; export const z = b;",
};

const root = mkdtempSync(path.join(tmpdir(), 'mls-import-rules-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const violationsOf = async (): Promise<string[]> => {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  const { tsConfig: _, ...options } = config.options ?? {};
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const { output } = await cruise(['functions', 'lib'], { ...options, ruleSet: { forbidden: config.forbidden ?? [] }, validate: true });
    return (output as ICruiseResult).summary.violations
      .map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^.*node_modules\/([^/]+)\/.*/, '$1')}`)
      .sort();
  } finally {
    process.chdir(cwd);
  }
};

describe('import rules', () => {
  it('flag every broken arrow, by file, and nothing that is allowed', async () => {
    expect(await violationsOf()).toEqual(
      [
        'domains-meet-through-public-modules: functions/agents/uses-internal.ts -> functions/realtime/internal.ts',
        'functions-not-to-infrastructure: functions/agents/imports-lib.ts -> lib/y.ts',
        'infrastructure-reads-only-the-gathered-manifest: lib/z.ts -> functions/agents/b.ts',
        'only-openapi-reads-the-gathered-manifest: functions/agents/reads-gathered.handler.ts -> functions/manifest.ts',
        'shared-depends-on-no-domain: functions/shared/leaky.ts -> functions/agents/b.ts',
        'use-cases-and-entities-hold-no-io: functions/agents/agent.service.ts -> pg',
      ].sort(),
    );
  }, 30_000);
});
