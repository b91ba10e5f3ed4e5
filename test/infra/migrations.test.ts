/**
 * The migrate function's bundle carries the SQL files (the deploy trigger runs it against them): bundled for
 * real, alone, in a bare stack, since the platform stack's test synthesizes without bundling.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
  it('contains every SQL migration', () => {
    const app = new App({ outdir });
    const stack = new Stack(app, 'MigrateTest', { env: { account: '123456789012', region: 'eu-west-1' } });
    const storage = new Storage(stack, 'Storage', { prefix: 'mls-test', removalPolicy: RemovalPolicy.DESTROY });
    const secrets = new Secrets(stack, 'Secrets', { prefix: 'mls-test', removalPolicy: RemovalPolicy.DESTROY });
    const migrate = flatManifest.systemFunctions.find((f) => f.name === 'migrate')!;
    new DomainFunctions(stack, 'Functions', {
      specs: [migrate],
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
    const functions = Object.values(
      Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'mls-test-migrate' } }),
    );
    const code = (functions[0] as { Properties: { Code: { S3Key: string } } }).Properties.Code;
    const assetDir = path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const sqlFiles = readdirSync(path.join(PROJECT_ROOT, 'migrations')).filter((f) => f.endsWith('.sql'));
    expect(sqlFiles.length).toBeGreaterThan(0);
    expect(readdirSync(path.join(assetDir, 'migrations')).sort()).toEqual(expect.arrayContaining(sqlFiles));
    // The stack's own esbuild step (lib/bundling.ts): the handler Lambda is told to load, with its source map.
    expect(readdirSync(assetDir)).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
    expect((functions[0] as { Properties: { Handler: string } }).Properties.Handler).toBe('index.handler');
  }, 120_000);
});
