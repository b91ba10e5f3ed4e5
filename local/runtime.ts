/**
 * The embedded local runtime: the deployed topology on one laptop, no Docker, no cloud. It starts
 * PostgreSQL, the DynamoDB and S3 emulators, a StepFunctions-compatible endpoint and the REST and WebSocket
 * gateways, points the standard AWS SDK environment at them, runs the migrations and mints an admin key,
 * exactly through the handlers the stack deploys.
 *
 * Handlers run in this process and read `process.env`, so one runtime per process at a time; handler
 * modules (and the clients they build at cold start) stay cached for the life of the process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { FlatManifest, FunctionSpec } from '#shared/manifest.types.ts';
import { env as envNames, metricsNamespace, secrets, settings, stateMachineEnv, tables } from '#shared/resources.ts';
import { runAuthorizer } from './authorizer.ts';
import { close, listen } from './http-util.ts';
import { LocalLambdas } from './lambda.ts';
import { createLocalOperations } from './operations.ts';
import { ensureDatabase, startEmbeddedPostgres } from './postgres.ts';
import { createRestGateway, REST_API_ID } from './rest-gateway.ts';
import { startLocalScheduler } from './scheduler.ts';
import { createStepFunctions, stateMachineArn } from './step-functions.ts';
import { createWebSocketGateway, type WebSocketLimits } from './websocket-gateway.ts';

/** What the runtime mounts: functions/manifest.ts, flattened. Tests may pass their own. */
export type RuntimeManifest = FlatManifest;

export interface LocalRuntimeOptions {
  /** Where data persists between runs. Default `.mls` in the working directory. */
  dataDir?: string;
  /** Use a temporary data folder, deleted by stop(). */
  ephemeral?: boolean;
  /**
   * Gateway ports; 0 picks a free one. Default REST 3000, WebSocket 3001, and the operations endpoint (event
   * bus and metrics) 3002, or a free port when REST's is 0.
   */
  ports?: { rest?: number; ws?: number; ops?: number };
  /** Use this PostgreSQL instead of starting the embedded one. */
  databaseUrl?: string;
  /** Receives one line per event (services coming up, handler failures). Default console.log. */
  log?: (line: string) => void;
  /** Only warnings and failures are logged; handler logs at WARN. */
  quiet?: boolean;
  /** Extra environment for the handlers (wins over the runtime's own). */
  env?: Record<string, string>;
  /** Default `local`. */
  stage?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Default: functions/manifest.ts. */
  manifest?: RuntimeManifest;
  /** WebSocket idle / max-lifetime limits (AWS: 10 min / 2 h); shorten them in tests. */
  websocket?: WebSocketLimits;
  /** Run the manifest's scheduled functions (EventBridge's role). Default true; tests that drive them by hand turn it off. */
  scheduler?: boolean;
  /**
   * Also write the discovery file `{ restUrl, wsUrl, apiKey, pid, ephemeral, dataDir }` here (mode 0600),
   * for scripts to find this instance (`npm start` passes `<cwd>/.mls/local.json`). An ephemeral runtime
   * removes it on stop if it still describes this run. Unset (tests): nothing is written outside `dataDir`.
   */
  discoveryFile?: string;
}

/** What the discovery file (and `<dataDir>/local.json`) holds. */
export interface LocalDiscovery {
  restUrl: string;
  wsUrl: string;
  apiKey: string;
  /** The process serving this instance; scripts can check it still runs. */
  pid: number;
  ephemeral: boolean;
  dataDir: string;
}

/**
 * How long requests in flight, and the $disconnect handlers of the WebSocket clients closed on stop, may
 * still run before the emulators and PostgreSQL stop under them. Short: stopping is what the user asked for.
 */
const STOP_GRACE_MS = 500;

export interface LocalRuntime {
  /** Base URL of the REST API, no trailing slash: `${restUrl}/v1/me`. */
  restUrl: string;
  wsUrl: string;
  /** The stage's event bus and the emitted metrics (local/operations.ts): `GET ${opsUrl}/events`, `GET ${opsUrl}/metrics`. */
  opsUrl: string;
  /** An admin API key of the default tenant (`x-api-key`). */
  apiKey: string;
  /** The HS256 secret the authorizer verifies platform JWTs with. */
  jwtSecret: string;
  /** The environment handed to the handlers (also set on process.env while running). */
  env: Record<string, string>;
  dataDir: string;
  /** `<dataDir>/local.json`: the admin key, reused by the next start on this data folder while it authenticates. */
  localJsonPath: string;
  /** The discovery file written (absolute), when `discoveryFile` was given. */
  discoveryFile?: string;
  /**
   * Stops everything started and restores process.env. Idempotent. Bounded: the gateways close their
   * clients and give requests in flight and `$disconnect` handlers 500 ms, then the emulators and
   * PostgreSQL stop in reverse order of starting.
   */
  stop: () => Promise<void>;
  /**
   * Test hook: stops one service this runtime started and starts it again on the same port with the same data,
   * running `whileDown` in between (handlers meanwhile meet refused connections, as during a real restart).
   * PostgreSQL only when the runtime started it (no `databaseUrl`); an in-memory (ephemeral) DynamoDB comes
   * back empty, with its tables created again.
   */
  restart: (service: RestartableService, options?: { whileDown?: () => Promise<void> }) => Promise<void>;
  /** Test hook: resolves once no handler invocation is running (those that outlived a local timeout included). */
  settled: () => Promise<void>;
  /** Invokes a system function of the manifest by name (as a deploy trigger or `aws lambda invoke` would). */
  invokeSystem: <T = unknown>(name: string, event: unknown) => Promise<T>;
}

/** The services `LocalRuntime.restart` can restart. */
export type RestartableService = 'postgres' | 'dynamodb' | 's3';

interface LocalSecrets {
  jwtSecret: string;
  postgresPassword: string;
  /** Added later than the others: a data folder from before gets one on its next start. */
  credentialsKey?: string;
}

const random = (bytes = 32) => randomBytes(bytes).toString('base64url');

async function loadSecrets(file: string, ephemeral: boolean): Promise<LocalSecrets> {
  if (!ephemeral && existsSync(file)) {
    const existing = JSON.parse(await readFile(file, 'utf8')) as LocalSecrets;
    if (existing.credentialsKey) return existing;
    const completed = { ...existing, credentialsKey: random(48) };
    await writeFile(file, JSON.stringify(completed, null, 2), { mode: 0o600 });
    return completed;
  }
  const created = { jwtSecret: random(48), postgresPassword: random(24), credentialsKey: random(48) };
  await writeFile(file, JSON.stringify(created, null, 2), { mode: 0o600 });
  return created;
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const stage = options.stage ?? 'local';
  const region = options.region ?? 'us-east-1';
  const ephemeral = options.ephemeral ?? false;
  const print = options.log ?? ((line: string) => console.log(line));
  const info = options.quiet ? () => undefined : print;
  const warn = print;
  // Startup is mostly waiting: PostgreSQL boots in a process of its own while this one imports the manifest
  // and the emulators (dynamic imports, so their load overlaps with it) and starts the rest.
  const manifestReady = options.manifest ? Promise.resolve(options.manifest) : import('../functions/manifest.ts').then((m) => m.flatManifest);
  manifestReady.catch(() => undefined);

  const dataDir = ephemeral ? await mkdtemp(path.join(tmpdir(), 'mls-')) : path.resolve(options.dataDir ?? '.mls');
  await mkdir(dataDir, { recursive: true });

  const discoveryFile = options.discoveryFile === undefined ? undefined : path.resolve(options.discoveryFile);
  let discovery: LocalDiscovery | undefined;

  // Everything started so far, stopped by stop() or when startup fails half way: first the gateways,
  // together (clients are told first, and requests in flight share one grace period), then the rest in
  // reverse order of starting, so handlers still running keep their emulators and database until then.
  const stack: Array<{ name: string; gateway?: boolean; stop: () => Promise<void> }> = [];
  const previousEnv = new Map<string, string | undefined>();
  // How to restart each service started (the `restart` test hook).
  const restarts: Partial<Record<RestartableService, (whileDown: () => Promise<void>) => Promise<void>>> = {};
  let stopped = false;
  let ready = false;
  const isReady = () => ready;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const stopOne = ({ name, stop: s }: (typeof stack)[number]) => s().catch((error: unknown) => warn(`! stopping ${name} failed: ${String(error)}`));
    // Scripts should no longer find an instance that is going away; a persistent one keeps its file
    // (the next start reuses the admin key in it).
    if (ephemeral && discoveryFile && discovery) await removeDiscoveryFile(discoveryFile, discovery);
    await Promise.all(stack.filter((e) => e.gateway).map(stopOne));
    for (const entry of stack.filter((e) => !e.gateway).reverse()) await stopOne(entry);
    for (const [k, v] of previousEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (ephemeral) await rm(dataDir, { recursive: true, force: true });
  };

  // Started concurrently with the rest (below); a failure elsewhere still waits for it, so it gets stopped.
  let postgresReady: Promise<string> | undefined;
  try {
    const localSecrets = await loadSecrets(path.join(dataDir, 'secrets.json'), ephemeral);

    // PostgreSQL
    postgresReady = (async (): Promise<string> => {
      if (options.databaseUrl) {
        info(`✓ PostgreSQL       ${redact(options.databaseUrl)} (DATABASE_URL)`);
        return options.databaseUrl;
      }
      const pgDir = path.join(dataDir, 'postgres');
      // Its own process group: a terminal's Ctrl-C then reaches only this process, which stops PostgreSQL
      // last, after the requests still in flight.
      let pgServer = await startEmbeddedPostgres({ dir: pgDir, password: localSecrets.postgresPassword, ownProcessGroup: true });
      // First in the stack whenever it comes up: it stops last.
      stack.unshift({ name: 'PostgreSQL', stop: () => pgServer.stop() });
      restarts.postgres = async (whileDown) => {
        await pgServer.stop();
        await whileDown();
        pgServer = await startEmbeddedPostgres({ dir: pgDir, password: localSecrets.postgresPassword, ownProcessGroup: true, port: pgServer.port });
      };
      const url = await ensureDatabase(pgServer.adminUrl, 'mls');
      info(`✓ PostgreSQL       127.0.0.1:${pgServer.port} embedded, data in ${pgDir}`);
      return url;
    })();
    postgresReady.catch(() => undefined);
    const [manifest, { default: dynalite }, { default: S3rver }] = await Promise.all([manifestReady, import('dynalite'), import('s3rver')]);

    // DynamoDB (dynalite; persisted in LevelDB unless ephemeral)
    const dynamoPath = ephemeral ? undefined : path.join(dataDir, 'dynamodb');
    if (dynamoPath) await mkdir(dynamoPath, { recursive: true });
    const dynamo = dynalite({ path: dynamoPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoPort = await listen(dynamo, 0);
    stack.push({ name: 'DynamoDB', stop: () => close(dynamo) });
    const dynamoUrl = `http://127.0.0.1:${dynamoPort}`;
    const tableNames = await createTables(dynamoUrl, region, stage);
    restarts.dynamodb = async (whileDown) => {
      await close(dynamo);
      await whileDown();
      // dynalite reopens its store on listen: the LevelDB folder as it was, or (in memory) an empty one.
      await listen(dynamo, dynamoPort);
      await createTables(dynamoUrl, region, stage);
    };
    info(
      `✓ DynamoDB         ${dynamoUrl} (dynalite, ${dynamoPath ? `data in ${dynamoPath}` : 'in memory'}; tables ${Object.values(tableNames).join(', ')})`,
    );

    // S3 (s3rver; files under dataDir)
    const bucket = `mls-${stage}-files`;
    const s3Dir = path.join(dataDir, 's3');
    await mkdir(s3Dir, { recursive: true });
    const s3Options = { address: '127.0.0.1', silent: true, directory: s3Dir, vhostBuckets: false, configureBuckets: [{ name: bucket }] };
    let s3 = new S3rver({ ...s3Options, port: 0 });
    const s3Address = await s3.run();
    // s3rver's own close() is a plain server.close(): handlers' keep-alive sockets would hold it open.
    stack.push({ name: 'S3', stop: () => (s3.httpServer ? close(s3.httpServer) : s3.close()) });
    restarts.s3 = async (whileDown) => {
      if (s3.httpServer) await close(s3.httpServer);
      await whileDown();
      // A new server on the same port and folder: every object stored before is there again.
      s3 = new S3rver({ ...s3Options, port: s3Address.port });
      await s3.run();
    };
    const s3Url = `http://127.0.0.1:${s3Address.port}`;
    info(`✓ S3               ${s3Url} (s3rver, bucket ${bucket}, data in ${s3Dir})`);

    const lambdas = new LocalLambdas({ region, stage, log: info });
    const allFunctions = [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions];

    // Step Functions
    const sfn = await createStepFunctions({ stateMachines: manifest.stateMachines, functions: allFunctions, lambdas, region, stage, log: warn });
    const sfnPort = await listen(sfn.server, 0);
    stack.push({ name: 'Step Functions', stop: sfn.close });
    const sfnUrl = `http://127.0.0.1:${sfnPort}`;
    info(`✓ Step Functions   ${sfnUrl} (state machines ${manifest.stateMachines.map((m) => m.name).join(', ') || 'none'})`);

    // REST gateway
    const rest = createRestGateway({ functions: manifest.functions, authorizer: manifest.authorizer, lambdas, stage, region, log: warn, isReady });
    const restPort = await listen(rest, options.ports?.rest ?? 3000);
    stack.push({ name: 'REST gateway', gateway: true, stop: () => close(rest, STOP_GRACE_MS) });
    const restUrl = `http://127.0.0.1:${restPort}`;
    info(`✓ REST API         ${restUrl} (${manifest.functions.reduce((n, f) => n + (f.http?.length ?? 0), 0)} routes)`);

    // WebSocket gateway + @connections
    const ws = createWebSocketGateway({
      functions: manifest.functions,
      authorizer: manifest.authorizer,
      lambdas,
      stage,
      region,
      log: warn,
      limits: options.websocket,
      isReady,
    });
    const wsPort = await listen(ws.server, options.ports?.ws ?? 3001);
    stack.push({ name: 'WebSocket gateway', gateway: true, stop: () => ws.close(STOP_GRACE_MS) });
    const wsUrl = `ws://127.0.0.1:${wsPort}`;
    info(`✓ WebSocket API    ${wsUrl} (@connections at http://127.0.0.1:${wsPort}/${stage})`);

    // The event bus and the metrics the handlers emit (EventBridge's and CloudWatch's roles).
    const ops = createLocalOperations({ log: info });
    const opsPort = await listen(ops.server, options.ports?.ops ?? (options.ports?.rest === 0 ? 0 : (options.ports?.rest ?? 3000) + 2));
    stack.push({
      name: 'Operations',
      stop: () => {
        ops.close();
        return close(ops.server);
      },
    });
    const opsUrl = `http://127.0.0.1:${opsPort}`;
    info(`✓ Event bus        ${opsUrl}/events (mls-${stage}-events); metrics at ${opsUrl}/metrics`);

    const handlerEnv: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // s3rver only accepts its own dummy account's key; the other emulators accept anything.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
      AWS_ENDPOINT_URL_S3: s3Url,
      AWS_ENDPOINT_URL_SFN: sfnUrl,
      AWS_ENDPOINT_URL_EVENTBRIDGE: opsUrl,
      [envNames.eventBusName]: `mls-${stage}-events`,
      // s3rver stores streamed uploads with checksum trailers corrupted; only checksum when required.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      [envNames.s3ForcePathStyle]: 'true',
      [envNames.bucket]: bucket,
      [envNames.stage]: stage,
      [envNames.websocketCallbackUrl]: `http://127.0.0.1:${wsPort}/${stage}`,
      [secrets.jwtSigningKey.env]: localSecrets.jwtSecret,
      [secrets.credentialsKey.env]: localSecrets.credentialsKey!,
      // On a laptop n8n usually runs on loopback; a deployment keeps private addresses refused unless told.
      [settings.n8nAllowPrivateNetworks.env]: process.env[settings.n8nAllowPrivateNetworks.env] ?? 'true',
      REST_API_ID,
      // In AWS every concurrent invocation has a container and a pool of its own; here one process hosts
      // them all and shares one pool, so it gets the room a burst of containers would have had (a thousand
      // WebSocket subscribes at once queued on 3 connections past pg's 10 s connect timeout).
      DB_POOL_MAX: process.env.DB_POOL_MAX ?? '20',
      POWERTOOLS_SERVICE_NAME: 'mls',
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(stage),
      POWERTOOLS_TRACE_ENABLED: 'false',
      // On: the EMF lines go to the operations endpoint (local/operations.ts), not to the terminal.
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? (options.quiet ? 'WARN' : 'INFO'),
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      // Tracing is off here, but the X-Ray SDK's automatic mode (cls-hooked) still installs an async hook
      // with destroy tracking on import, which taxes every promise of every handler in this one process.
      AWS_XRAY_MANUAL_MODE: 'true',
    };
    for (const [name, table] of Object.entries(tableNames)) handlerEnv[tables[name as keyof typeof tables].env] = table;
    for (const m of manifest.stateMachines) handlerEnv[stateMachineEnv(m.name)] = stateMachineArn(region, stage, m.name);
    // Provider keys and operator settings come from the developer's own environment, as `cdk deploy` takes them from context.
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', ...Object.values(settings).map((s) => s.env), 'HTTP_TOOL_ALLOW_PRIVATE_NETWORKS']) {
      const value = process.env[name];
      if (value !== undefined) handlerEnv[name] = value;
    }
    Object.assign(handlerEnv, options.env ?? {});
    const applyEnv = () => {
      for (const [k, v] of Object.entries(handlerEnv)) {
        if (!previousEnv.has(k)) previousEnv.set(k, process.env[k]);
        process.env[k] = v;
      }
    };
    applyEnv();

    // Migrations, as the stack's deploy trigger runs them.
    const system = new Map(manifest.systemFunctions.map((f) => [f.name, f]));
    const migrate = system.get('migrate');
    // The first handlers' cold starts overlap PostgreSQL's boot: they read their environment when imported,
    // the database URL only at their first query. A failed import is retried by the invocation that needs it.
    const preloads = [migrate, manifest.authorizer].map((spec) => (spec ? lambdas.load(spec).catch(() => undefined) : undefined));
    const [databaseUrl] = await Promise.all([postgresReady, ...preloads]);
    handlerEnv[envNames.databaseUrl] = options.env?.[envNames.databaseUrl] ?? databaseUrl;
    applyEnv();
    if (migrate) {
      const result = await lambdas.invoke(migrate, {}, { timeoutMs: 300_000 });
      info(`✓ Migrations       ${summarize(result)}`);
    }

    // An admin key: the one from the last run if it still authenticates, else a new one.
    const localJsonPath = path.join(dataDir, 'local.json');
    let apiKey: string | undefined;
    if (existsSync(localJsonPath)) {
      const previous = JSON.parse(await readFile(localJsonPath, 'utf8')) as { apiKey?: string };
      if (previous.apiKey && (await keyWorks(lambdas, manifest.authorizer, previous.apiKey, region, stage))) apiKey = previous.apiKey;
    }
    if (apiKey) {
      info('✓ Admin API key    reused from the last run');
    } else {
      const mint = system.get('mint-admin-key');
      if (!mint) throw new Error('the manifest has no mint-admin-key function');
      const minted = await lambdas.invoke<{ apiKey: string; keyId: string; tenantId: string }>(mint, { name: 'local admin' });
      apiKey = minted.apiKey;
      info(`✓ Admin API key    minted (${minted.keyId}, tenant ${minted.tenantId})`);
    }
    // Scheduled functions (EventBridge's role), once everything they may touch is up.
    if (options.scheduler ?? true) {
      const scheduler = startLocalScheduler({ functions: allFunctions, lambdas, region, stage, environment: process.env, log: warn });
      stack.push({ name: 'Scheduler', gateway: true, stop: () => scheduler.stop(STOP_GRACE_MS) });
      for (const s of scheduler.schedules) info(`✓ Schedule         ${s.name} every ${s.minutes} min`);
    }
    discovery = { restUrl, wsUrl, apiKey, pid: process.pid, ephemeral, dataDir };
    // With the default data folder (`.mls`) npm start's discovery file is this same file.
    await writePrivateJson(localJsonPath, discovery);
    if (discoveryFile && discoveryFile !== localJsonPath) await writePrivateJson(discoveryFile, discovery);
    ready = true;

    const restart: LocalRuntime['restart'] = async (service, restartOptions = {}) => {
      const restartService = restarts[service];
      if (!restartService) throw new Error(`this runtime did not start ${service}, so it cannot restart it`);
      await restartService(restartOptions.whileDown ?? (async () => undefined));
    };
    const settled = () => lambdas.settled();
    const invokeSystem = <T>(name: string, event: unknown): Promise<T> => {
      const spec = system.get(name);
      if (!spec) throw new Error(`the manifest has no system function ${name}`);
      return lambdas.invoke<T>(spec, event);
    };
    return {
      restUrl,
      wsUrl,
      opsUrl,
      apiKey,
      jwtSecret: localSecrets.jwtSecret,
      env: handlerEnv,
      dataDir,
      localJsonPath,
      discoveryFile,
      stop,
      restart,
      settled,
      invokeSystem,
    };
  } catch (error) {
    await postgresReady?.catch(() => undefined);
    await stop();
    throw error;
  }
}

/**
 * Writes JSON readable by the owner only. Through a new file renamed into place: readers never see half a
 * file, and the mode applies even when the file existed before (writeFile's mode only applies on creation).
 */
async function writePrivateJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

/** Removes the discovery file only if it still describes this run: a later start may have taken it over. */
async function removeDiscoveryFile(file: string, ours: LocalDiscovery): Promise<void> {
  try {
    const current = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalDiscovery>;
    if (current.pid === ours.pid && current.restUrl === ours.restUrl) await rm(file, { force: true });
  } catch {
    // Gone already, or not ours to judge (unreadable): leave it.
  }
}

async function createTables(endpoint: string, region: string, stage: string): Promise<Record<string, string>> {
  const { CreateTableCommand, DynamoDBClient, ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    const names: Record<string, string> = {};
    for (const [name, shape] of Object.entries(tables)) {
      const tableName = `mls-${stage}-${name}`;
      names[name] = tableName;
      if (existing.has(tableName)) continue;
      const attributes = new Set<string>([shape.partitionKey, ...(shape.sortKey ? [shape.sortKey] : [])]);
      for (const index of shape.indexes ?? []) {
        attributes.add(index.partitionKey);
        if (index.sortKey) attributes.add(index.sortKey);
      }
      const keySchema = (pk: string, sk?: string) => [
        { AttributeName: pk, KeyType: 'HASH' as const },
        ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' as const }] : []),
      ];
      const input: CreateTableCommandInput = {
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
        KeySchema: keySchema(shape.partitionKey, shape.sortKey),
        ...(shape.indexes?.length && {
          GlobalSecondaryIndexes: shape.indexes.map((i) => ({
            IndexName: i.name,
            KeySchema: keySchema(i.partitionKey, i.sortKey),
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
      };
      // dynalite has no TTL: expired items stay until deleted (handlers must check `ttl` themselves).
      await client.send(new CreateTableCommand(input));
    }
    return names;
  } finally {
    client.destroy();
  }
}

async function keyWorks(lambdas: LocalLambdas, authorizer: FunctionSpec, apiKey: string, region: string, stage: string): Promise<boolean> {
  const verdict = await runAuthorizer(lambdas, authorizer, {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${region}:000000000000:${REST_API_ID}/${stage}/GET/v1/me`,
    resource: '/v1/me',
    path: '/v1/me',
    httpMethod: 'GET',
    headers: { 'x-api-key': apiKey },
    multiValueHeaders: { 'x-api-key': [apiKey] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { stage, httpMethod: 'GET', resourcePath: '/v1/me', path: `/${stage}/v1/me`, identity: { sourceIp: '127.0.0.1' } },
  });
  return verdict.effect === 'allow';
}

const redact = (url: string): string => url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');

const summarize = (result: unknown): string => {
  if (result && typeof result === 'object') {
    const applied = (result as { applied?: unknown }).applied;
    if (Array.isArray(applied)) return applied.length ? `applied ${applied.join(', ')}` : 'up to date';
  }
  return 'done';
};
