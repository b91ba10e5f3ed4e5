/**
 * Helpers for the executions tests: agents (through `POST /v1/agents` when the manifest has it, else
 * rows written as that route writes them), uploaded images, other tenants, and polling an execution.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { expect } from 'vitest';
import { agentsManifest } from '#functions/agents/agents.manifest.ts';
import { flatManifest } from '#functions/manifest.ts';
import type { FlatManifest, FunctionSpec } from '#shared/manifest.types.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../../local/runtime.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { startScriptedModelServer, type ScriptedModelServer } from '../../model-server/scripted-model-server.ts';
import { fetchJson, mintJwt, openWebSocket, startTestRuntime } from '../../support/runtime.ts';

// 1x1 transparent PNG.
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export interface Harness {
  rt: TestRuntime;
  models: ScriptedModelServer;
  db: pg.Pool;
  /** Admin JWT of the default tenant. */
  admin: string;
  stop: () => Promise<void>;
}

export interface HarnessOptions {
  /**
   * The runtime starts and owns its PostgreSQL, with its data (PostgreSQL, DynamoDB, S3) in a folder of its
   * own that persists across restarts as `npm start`'s does: what a test needs to restart them (`rt.restart`).
   * Costs one initdb (about 2 s). Default: a database on the test run's shared PostgreSQL.
   */
  ownServices?: boolean;
  /** Lambda timeouts (seconds) by function name, instead of the manifest's (the state machine's task timeouts follow). */
  timeouts?: Record<string, number>;
  /** More environment for the handlers. */
  env?: Record<string, string>;
}

export const startHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const models = await startScriptedModelServer();
  const env = {
    OPENAI_BASE_URL: models.openaiBaseURL,
    ANTHROPIC_BASE_URL: models.anthropicBaseURL,
    OPENAI_API_KEY: 'test-openai-key',
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    ...options.env,
  };
  const manifest = options.timeouts ? withTimeouts(flatManifest, options.timeouts) : undefined;
  const rt = options.ownServices
    ? await startOwnRuntime({ env, ...(manifest && { manifest }) })
    : await startTestRuntime({ env, ...(manifest && { manifest }) });
  const db = new pg.Pool({ connectionString: rt.databaseUrl, max: 2 });
  // The test's own connections see the restarts too; they just reconnect on the next query.
  db.on('error', () => undefined);
  const admin = await rt.mintJwt({ sub: 'user-admin', roles: ['admin'] });
  return {
    rt,
    models,
    db,
    admin,
    stop: async () => {
      await db.end();
      await rt.stop();
      await models.close();
    },
  };
};

const withTimeouts = (manifest: FlatManifest, timeouts: Record<string, number>): FlatManifest => {
  const apply = (f: FunctionSpec): FunctionSpec => (timeouts[f.name] === undefined ? f : { ...f, timeoutSeconds: timeouts[f.name] });
  return { ...manifest, functions: manifest.functions.map(apply), systemFunctions: manifest.systemFunctions.map(apply) };
};

/** A runtime that starts its own PostgreSQL in a temporary data folder (kept across restarts, removed on stop). */
const startOwnRuntime = async (options: Pick<LocalRuntimeOptions, 'env' | 'manifest'>): Promise<TestRuntime> => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mls-faults-'));
  let runtime: LocalRuntime;
  try {
    // No scheduled functions: nothing but the test's own runs touches the services it restarts.
    runtime = await startLocalRuntime({ quiet: true, ports: { rest: 0, ws: 0 }, dataDir, ephemeral: false, scheduler: false, ...options });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...runtime,
    databaseUrl: runtime.env.DATABASE_URL!,
    stop: async () => {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    fetchJson: (p, init) => fetchJson(`${runtime.restUrl}${p}`, init),
    mintJwt: (claims) => mintJwt(runtime.jwtSecret, claims),
    connect: (token, query = {}) => {
      const url = new URL(runtime.wsUrl);
      if (token !== undefined) url.searchParams.set('token', token);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      return openWebSocket(url.toString());
    },
  };
};

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

const hasAgentsApi = agentsManifest.functions.some((f) => f.http?.some((r) => r.method === 'POST' && r.path === '/v1/agents'));

export interface AgentSpec {
  provider: 'openai' | 'anthropic';
  model?: string;
  tools?: string[];
  maxSteps?: number;
  systemPrompt?: string;
  tenantId?: string;
}

export const createAgent = async (h: Harness, spec: AgentSpec): Promise<string> => {
  const model = { provider: spec.provider, name: spec.model ?? (spec.provider === 'openai' ? 'gpt-4o-mini' : 'claude-scripted') };
  const tenantId = spec.tenantId ?? 'default';
  const definition = {
    name: `agent-${randomBytes(3).toString('hex')}`,
    systemPrompt: spec.systemPrompt ?? 'You are terse.',
    model,
    tools: spec.tools ?? [],
    maxSteps: spec.maxSteps ?? 10,
  };
  if (hasAgentsApi) {
    const token = await h.rt.mintJwt({ sub: 'user-admin', tenantId, roles: ['admin'] });
    const res = await h.rt.fetchJson('/v1/agents', { method: 'POST', headers: auth(token), json: { ...definition, description: '' } });
    expect(res.status, res.text).toBe(201);
    return res.body.agentId ?? res.body.id;
  }
  const id = `agt_${randomBytes(12).toString('base64url')}`;
  const args = [id, tenantId, definition.name, definition.systemPrompt, JSON.stringify(model), definition.tools, definition.maxSteps];
  await h.db.query(
    `INSERT INTO agents (id, tenant_id, name, system_prompt, model, tools, max_steps, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)`,
    args,
  );
  await h.db.query(
    `INSERT INTO agent_versions (agent_id, version, name, system_prompt, model, tools, max_steps) VALUES ($1, 1, $2, $3, $4, $5, $6)`,
    [id, ...args.slice(2)],
  );
  return id;
};

/**
 * An uploaded file of the tenant. The runtime's own tenant goes the way a client does (`POST /v1/files`,
 * then a PUT to the presigned URL, and the run starts right after, without reading the file back); another
 * tenant's file is written straight to S3 and the files table, since the test holds no key of that tenant.
 */
export const uploadImage = async (h: Harness, tenantId = 'default', content: Buffer = PNG, contentType = 'image/png'): Promise<string> => {
  if (tenantId === 'default') {
    const res = await h.rt.fetchJson('/v1/files', {
      method: 'POST',
      headers: auth(h.admin),
      json: { filename: 'pixel', contentType, sizeBytes: content.length },
    });
    expect(res.status, res.text).toBe(201);
    const put = await fetch(res.body.uploadUrl, { method: 'PUT', headers: res.body.headers, body: new Uint8Array(content) });
    expect(put.status).toBe(200);
    return res.body.fileId;
  }
  const id = `fil_${randomBytes(12).toString('base64url')}`;
  const key = `tenants/${tenantId}/uploads/${id}`;
  const s3 = new S3Client({
    endpoint: h.rt.env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await s3.send(new PutObjectCommand({ Bucket: h.rt.env.BUCKET_NAME, Key: key, Body: content, ContentType: contentType }));
  s3.destroy();
  await h.db.query(
    `INSERT INTO files (id, tenant_id, key, filename, content_type, size_bytes, status, uploaded_at) VALUES ($1, $2, $3, 'pixel.png', $4, $5, 'uploaded', now())`,
    [id, tenantId, key, contentType, content.length],
  );
  return id;
};

export const createTenant = async (h: Harness): Promise<string> => {
  const id = `ten_${randomBytes(12).toString('base64url')}`;
  await h.db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [id, 'other tenant']);
  return id;
};

export const startExecution = async (h: Harness, agentId: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await h.rt.fetchJson(`/v1/agents/${agentId}/executions`, { method: 'POST', headers: { ...auth(h.admin), ...headers }, json: body });
  expect(res.status, res.text).toBe(202);
  return res.body as { executionId: string; status: string };
};

/** Polls GET /v1/executions/{id} until `until` holds (default: a terminal status). */
export const waitForExecution = async (
  h: Harness,
  executionId: string,
  until: (e: any) => boolean = (e) => ['succeeded', 'failed', 'cancelled'].includes(e.status),
  timeoutMs = 30_000,
): Promise<any> => {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const res = await h.rt.fetchJson(`/v1/executions/${executionId}`, { headers: auth(h.admin) });
    last = res.body;
    if (res.status === 200 && until(res.body)) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`execution ${executionId} did not reach the expected state; last: ${JSON.stringify(last)}`);
};

export const stepsOf = async (h: Harness, executionId: string): Promise<any[]> => {
  const res = await h.rt.fetchJson(`/v1/executions/${executionId}/steps?limit=100`, { headers: auth(h.admin) });
  expect(res.status).toBe(200);
  return res.body.items;
};

export const eventsOf = async (h: Harness, executionId: string): Promise<any[]> => {
  const res = await h.rt.fetchJson(`/v1/executions/${executionId}/events?limit=500`, { headers: auth(h.admin) });
  expect(res.status).toBe(200);
  return res.body.items;
};
