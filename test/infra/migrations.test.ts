/**
 * The migrate function's bundle carries the SQL files (the deploy trigger runs it against them): bundled for
 * real, in a bare stack, since the platform stack's test synthesizes without bundling. With a second
 * function beside it: each function gets its own bundle (CDK caches assets by their bundling options, and an
 * earlier version of the stack's bundling step gave every function the first one's code).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { flatManifest } from '#functions/manifest.ts';
import { DomainFunctions } from '../../lib/constructs/functions.construct.ts';
import { Secrets } from '../../lib/constructs/secrets.construct.ts';
import { Storage } from '../../lib/constructs/storage.construct.ts';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';

const outdir = mkdtempSync(path.join(tmpdir(), 'mls-migrate-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the migrate bundle', () => {
  it('contains every SQL migration, and each function its own code', () => {
    const app = new App({ outdir });
    const stack = new Stack(app, 'MigrateTest', { env: { account: '123456789012', region: 'eu-west-1' } });
    const storage = new Storage(stack, 'Storage', { prefix: 'mls-test', removalPolicy: RemovalPolicy.DESTROY });
    const secrets = new Secrets(stack, 'Secrets', { prefix: 'mls-test', removalPolicy: RemovalPolicy.DESTROY });
    const migrate = flatManifest.systemFunctions.find((f) => f.name === 'migrate')!;
    const health = flatManifest.functions.find((f) => f.name === 'health')!;
    new DomainFunctions(stack, 'Functions', {
      specs: [migrate, health],
      shared: {
        prefix: 'mls-test',
        stage: 'test',
        projectRoot: PROJECT_ROOT,
        logRetention: logs.RetentionDays.ONE_DAY,
        removalPolicy: RemovalPolicy.DESTROY,
        logLevel: 'INFO',
        metricsNamespace: 'Test',
        database: { kind: 'url', url: 'postgres://u:p@db:5432/mls' },
        tables: storage.tables,
        bucket: storage.bucket,
        secrets: secrets.secrets,
        stateMachineName: (n) => `mls-test-${n}`,
        websocket: { callbackUrl: 'https://ws.example/test', apiId: 'api', stageName: 'test' },
        settings: {},
        s3ForcePathStyle: false,
        extraAssets: { migrate: ['migrations'] },
      },
    });
    const template = Template.fromStack(stack);
    const assetOf = (name: string): { dir: string; handler: string } => {
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `mls-test-${name}` } })) as Array<{
        Properties: { Code: { S3Key: string }; Handler: string };
      }>;
      return { dir: path.join(outdir, `asset.${fn!.Properties.Code.S3Key.replace(/\.zip$/, '')}`), handler: fn!.Properties.Handler };
    };
    const migrateAsset = assetOf('migrate');
    const healthAsset = assetOf('health');
    const sqlFiles = readdirSync(path.join(PROJECT_ROOT, 'migrations')).filter((f) => f.endsWith('.sql'));
    expect(sqlFiles.length).toBeGreaterThan(0);
    expect(readdirSync(path.join(migrateAsset.dir, 'migrations')).sort()).toEqual(expect.arrayContaining(sqlFiles));
    // The stack's own esbuild step (lib/bundling.ts): the handler Lambda is told to load, with its source map.
    for (const asset of [migrateAsset, healthAsset]) {
      expect(readdirSync(asset.dir)).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
      expect(asset.handler).toBe('index.handler');
    }
    // Each its own code: health's bundle is not migrate's.
    expect(healthAsset.dir).not.toBe(migrateAsset.dir);
    expect(readdirSync(healthAsset.dir)).not.toContain('migrations');
    const sourcesOf = (dir: string): string[] => (JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    expect(sourcesOf(healthAsset.dir).some((f) => f.endsWith('functions/platform/health.handler.ts'))).toBe(true);
    expect(sourcesOf(migrateAsset.dir).some((f) => f.endsWith('functions/platform/migrate.handler.ts'))).toBe(true);
  }, 120_000);
});
