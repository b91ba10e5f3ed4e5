/**
 * The AWS calls the code makes, read from the source: every SDK command an adapter imports (and the library
 * calls that stand for one, such as Powertools' getSecret or a presigned URL), with the IAM action each needs
 * and the part of a manifest entry's `access` that must grant it. test/infra/platform-stack.test.ts compares
 * them with each function's role, so an adapter that starts calling something its policy does not allow fails
 * there, not in a deployed stage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Access } from '#shared/manifest.types.ts';

/** Which part of `access` a call needs; `mode` read calls are allowed by `read` and `readwrite` alike. */
export type Need =
  | { resource: 'table' | 'bucket'; mode: 'read' | 'readwrite' }
  | { resource: 'stateMachine' | 'websocket' | 'topic' | 'eventBus' | 'secret' }
  /** The stack's own n8n secrets: granted by lib/n8n-stack.ts (setupOnDeploy), asserted in test/infra/n8n-ecs.test.ts. */
  | { resource: 'stackN8nSecrets' };

export interface SdkCall {
  /** `<package>:<import>`, e.g. `lib-dynamodb:QueryCommand`. */
  call: string;
  actions: string[];
  need: Need;
  /** Source files (relative to functions/) that import it. */
  files: string[];
}

const table = (mode: 'read' | 'readwrite') => ({ resource: 'table', mode }) as const;
const bucket = (mode: 'read' | 'readwrite') => ({ resource: 'bucket', mode }) as const;

/**
 * Each call the code may make, with its IAM actions. A call that is not listed fails the test that reads this
 * table, with its name: add it here with the actions AWS documents for it.
 */
export const CALLS: Record<string, { actions: string[]; need: Need }> = {
  'lib-dynamodb:GetCommand': { actions: ['dynamodb:GetItem'], need: table('read') },
  'lib-dynamodb:QueryCommand': { actions: ['dynamodb:Query'], need: table('read') },
  'lib-dynamodb:ScanCommand': { actions: ['dynamodb:Scan'], need: table('read') },
  'lib-dynamodb:BatchGetCommand': { actions: ['dynamodb:BatchGetItem'], need: table('read') },
  'lib-dynamodb:PutCommand': { actions: ['dynamodb:PutItem'], need: table('readwrite') },
  'lib-dynamodb:UpdateCommand': { actions: ['dynamodb:UpdateItem'], need: table('readwrite') },
  'lib-dynamodb:DeleteCommand': { actions: ['dynamodb:DeleteItem'], need: table('readwrite') },
  'lib-dynamodb:BatchWriteCommand': { actions: ['dynamodb:BatchWriteItem'], need: table('readwrite') },
  'lib-dynamodb:TransactWriteCommand': {
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
    need: table('readwrite'),
  },
  'client-s3:GetObjectCommand': { actions: ['s3:GetObject'], need: bucket('read') },
  // HeadObject is authorized as GetObject; ListObjects(V2) as ListBucket, on the bucket itself.
  'client-s3:HeadObjectCommand': { actions: ['s3:GetObject'], need: bucket('read') },
  'client-s3:ListObjectsCommand': { actions: ['s3:ListBucket'], need: bucket('read') },
  'client-s3:ListObjectsV2Command': { actions: ['s3:ListBucket'], need: bucket('read') },
  'client-s3:PutObjectCommand': { actions: ['s3:PutObject'], need: bucket('readwrite') },
  'client-s3:DeleteObjectCommand': { actions: ['s3:DeleteObject'], need: bucket('readwrite') },
  'client-s3:DeleteObjectsCommand': { actions: ['s3:DeleteObject'], need: bucket('readwrite') },
  'client-sfn:StartExecutionCommand': { actions: ['states:StartExecution'], need: { resource: 'stateMachine' } },
  'client-sfn:StopExecutionCommand': { actions: ['states:StopExecution'], need: { resource: 'stateMachine' } },
  'client-sfn:DescribeExecutionCommand': { actions: ['states:DescribeExecution'], need: { resource: 'stateMachine' } },
  'client-sfn:SendTaskSuccessCommand': { actions: ['states:SendTaskSuccess'], need: { resource: 'stateMachine' } },
  'client-sfn:SendTaskFailureCommand': { actions: ['states:SendTaskFailure'], need: { resource: 'stateMachine' } },
  'client-apigatewaymanagementapi:PostToConnectionCommand': { actions: ['execute-api:ManageConnections'], need: { resource: 'websocket' } },
  'client-apigatewaymanagementapi:DeleteConnectionCommand': { actions: ['execute-api:ManageConnections'], need: { resource: 'websocket' } },
  'client-apigatewaymanagementapi:GetConnectionCommand': { actions: ['execute-api:ManageConnections'], need: { resource: 'websocket' } },
  'client-sns:PublishCommand': { actions: ['sns:Publish'], need: { resource: 'topic' } },
  'client-eventbridge:PutEventsCommand': { actions: ['events:PutEvents'], need: { resource: 'eventBus' } },
  'parameters/secrets:getSecret': { actions: ['secretsmanager:GetSecretValue'], need: { resource: 'secret' } },
  // setup-stack-n8n reads the n8n owner secret and writes the API key secret (n8n-access-secrets.adapter.ts).
  'client-secrets-manager:GetSecretValueCommand': { actions: ['secretsmanager:GetSecretValue'], need: { resource: 'stackN8nSecrets' } },
  'client-secrets-manager:PutSecretValueCommand': { actions: ['secretsmanager:PutSecretValue'], need: { resource: 'stackN8nSecrets' } },
};

/** Imports that are not calls (clients, errors, helpers); a presigned URL is signed as the command it wraps. */
const NOT_CALLS = /(Client|Exception|ServiceException)$|^(getSignedUrl|paginate\w+)$/;

const IMPORTS = /import\s*\{([^}]*)\}\s*from\s*'@(?:aws-sdk\/([\w-]+)|aws-lambda-powertools\/(parameters\/[\w-]+))'/g;

/** Every call imported by a source file under `functionsDir`, with the files that import it. */
export const sdkCallsIn = (functionsDir: string): { calls: SdkCall[]; unknown: string[] } => {
  const files = new Map<string, string[]>();
  for (const file of readdirSync(functionsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(path.join(functionsDir, file), 'utf8');
    for (const match of source.matchAll(IMPORTS)) {
      const pkg = match[2] ?? match[3]!;
      const names = match[1]!
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '))
        .map((n) => n.split(/\s+as\s+/)[0]!);
      for (const name of names.filter((n) => !NOT_CALLS.test(n))) {
        const call = `${pkg}:${name}`;
        files.set(call, [...(files.get(call) ?? []), file]);
      }
    }
  }
  const known = [...files].filter(([call]) => call in CALLS);
  return {
    calls: known.map(([call, where]) => ({ call, ...CALLS[call]!, files: where })),
    unknown: [...files.keys()].filter((call) => !(call in CALLS)),
  };
};

/** Whether a manifest entry's access asks for what `need` names (so its role must allow the call). */
export const accessAsksFor = (access: Access, need: Need): boolean => {
  switch (need.resource) {
    case 'table':
      return Object.values(access.tables ?? {}).some((mode) => need.mode === 'read' || mode === 'readwrite');
    case 'bucket':
      return access.bucket !== undefined && (need.mode === 'read' || access.bucket === 'readwrite');
    case 'stateMachine':
      return (access.stateMachines?.length ?? 0) > 0;
    case 'websocket':
      return Boolean(access.websocketManagement);
    case 'topic':
      return (access.topics?.length ?? 0) > 0;
    case 'eventBus':
      return Boolean((access as { eventBus?: boolean }).eventBus);
    case 'secret':
      return (access.secrets?.length ?? 0) > 0 || Boolean(access.database);
    case 'stackN8nSecrets':
      // Not expressible in `access`: these secrets belong to the n8n stack, which grants them itself.
      return false;
  }
};

/**
 * The calls a function's access asks for that its role does not allow, as `<call> needs <action>` (empty when
 * the role allows them all). `granted` is every action of the role's policies; `service:*` counts.
 */
export const missingGrants = (access: Access, granted: readonly string[], calls: readonly SdkCall[]): string[] => {
  const allows = (action: string) => granted.includes(action) || granted.includes(`${action.split(':')[0]}:*`);
  return calls
    .filter((c) => accessAsksFor(access, c.need))
    .flatMap((c) => c.actions.filter((a) => !allows(a)).map((a) => `${c.call} (${c.files.join(', ')}) needs ${a}`));
};
