/**
 * Isolation and roles as a matrix (issue 11): every route of the manifest x {no credentials, expired JWT,
 * revoked key, viewer, developer, admin, another tenant's admin, the platform admin} with the status each
 * must get, through the local runtime. The expectations follow from the manifest (a route's `roles`, `auth`)
 * and one row per route says how to call it and what success is; a route without a row fails this test,
 * so no route lands without its row.
 *
 * Tenant A owns the resources every request names; "another tenant" and the platform admin (tenant
 * `default`) must get 404 for them, exactly as for ids that do not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatManifest } from '#functions/manifest.ts';
import type { HttpRoute } from '#shared/manifest.types.ts';
import { isEvent, request } from '../realtime/helpers.ts';
import { problemOf } from '../support/problem.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { loadN8nContract } from '../n8n-monitor/support/n8n-openapi.ts';
import { startScriptedN8n, type ScriptedN8n } from '../n8n-monitor/support/scripted-n8n.ts';

const PRINCIPALS = ['none', 'expired', 'revoked', 'viewer', 'developer', 'admin', 'other', 'platform'] as const;
type Who = (typeof PRINCIPALS)[number];

interface Call {
  path: string;
  json?: unknown;
  headers?: Record<string, string>;
}

/** Creates what one call needs in tenant A (fresh for calls that change or delete it) and says how to call. */
type Setup = (a: TenantA) => Promise<Call>;

interface Row {
  call: Setup;
  /** Statuses that mean "allowed" (the route's success, or a conflict that proves the check passed). */
  ok: number[];
  /** The path names one of tenant A's resources: other tenants get 404. Default: it has a `{param}`. */
  scoped?: boolean;
  /** Exceptions to the rule the manifest gives, by principal, each with its reason in a comment. */
  expect?: Partial<Record<Who, number[]>>;
}

let rt: TestRuntime;
let tenantA: TenantA;
/** The n8n instance tenant A's monitor watches (and other principals may register too). */
let n8n: ScriptedN8n;
let n8nNames = 0;
/** MCP server names are unique per tenant. */
let serverNames = 0;
const creds = {} as Record<Who, Record<string, string>>;

class TenantA {
  readonly apiKey: string;
  constructor(apiKey: string) {
    this.apiKey = apiKey;
  }
  async post(path: string, json: unknown): Promise<Record<string, any>> {
    const res = await rt.fetchJson(path, { method: 'POST', headers: { 'x-api-key': this.apiKey }, json });
    if (res.status >= 300) throw new Error(`setup ${path}: ${res.status} ${res.text}`);
    return res.body;
  }
  agent = async () => (await this.post('/v1/agents', { name: 'matrix', model: { provider: 'openai', name: 'm' } })).agentId as string;
  workspace = async () => (await this.post('/v1/workspaces', { name: 'matrix' })).workspaceId as string;
  file = async () => (await this.post('/v1/files', { filename: 'm.png', contentType: 'image/png', sizeBytes: 4 })).fileId as string;
  keyId = async () => (await this.post('/v1/api-keys', { name: 'matrix', role: 'viewer' })).keyId as string;
  mcpServer = async () =>
    (await this.post('/v1/mcp-servers', { name: `matrix-${++serverNames}`, url: 'https://mcp.invalid/mcp' })).serverId as string;
  n8nInstance = async () =>
    (await this.post('/v1/n8n/instances', { name: `matrix-${++n8nNames}`, baseUrl: n8n.url, apiKey: n8n.apiKey })).instanceId as string;
  #synced: Promise<{ instanceId: string; workflowId: string; executionId: string; failedId: string }> | undefined;
  /** One instance, synced once, whose workflow and executions the read and action routes name. */
  synced = () =>
    (this.#synced ??= (async () => {
      const instanceId = await this.n8nInstance();
      await this.post(`/v1/n8n/instances/${instanceId}/sync`, {});
      const workflow = [...n8n.workflows.values()][0]!;
      const ok = [...n8n.executions.values()].find((e) => e.status === 'success')!;
      const failed = [...n8n.executions.values()].find((e) => e.status === 'error')!;
      return {
        instanceId,
        workflowId: `${instanceId}:${workflow.id}`,
        executionId: `${instanceId}:${ok.id}`,
        failedId: `${instanceId}:${failed.id}`,
      };
    })());
  alert = async () => (await this.post('/v1/n8n/alerts', { name: 'matrix', condition: { kind: 'no-success', windowMinutes: 5 } })).alertId as string;
  template = async () => (await this.post('/v1/n8n/templates', { name: 'matrix', workflow: N8N_WORKFLOW })).templateId as string;
  #execution: Promise<string> | undefined;
  /** One execution for the routes that only read it (it fails at once: no provider is configured). */
  execution = () =>
    (this.#execution ??= this.agent().then(
      async (agentId) => (await this.post(`/v1/agents/${agentId}/executions`, { text: 'hi' })).executionId as string,
    ));
}

const N8N_WORKFLOW = {
  name: 'Matrix hook',
  nodes: [
    { name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], parameters: { path: 'matrix' } },
    { name: 'Respond', type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1, position: [200, 0], parameters: {} },
  ],
  connections: { Webhook: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] } },
  settings: { executionOrder: 'v1' },
};

/** One row per route of the manifest, keyed `METHOD /path`. */
const ROWS: Record<string, Row> = {
  'GET /health': { call: async () => ({ path: '/health' }), ok: [200] },
  'GET /openapi.json': { call: async () => ({ path: '/openapi.json' }), ok: [200] },
  'GET /v1/me': { call: async () => ({ path: '/v1/me' }), ok: [200] },
  'POST /v1/api-keys': { call: async () => ({ path: '/v1/api-keys', json: { name: 'k', role: 'viewer' } }), ok: [201] },
  'GET /v1/api-keys': { call: async () => ({ path: '/v1/api-keys' }), ok: [200] },
  'DELETE /v1/api-keys/{keyId}': { call: async (a) => ({ path: `/v1/api-keys/${await a.keyId()}` }), ok: [204] },
  'POST /v1/tenants': {
    call: async () => ({ path: '/v1/tenants', json: { name: 'matrix tenant' } }),
    ok: [201],
    // Only admins of tenant `default` administer the platform; every other admin is refused.
    expect: { admin: [403], other: [403] },
  },
  'GET /v1/tenants': { call: async () => ({ path: '/v1/tenants' }), ok: [200], expect: { admin: [403], other: [403] } },
  // Every admin reads its own tenant's trail (the platform admin every tenant's): nothing here names tenant A's.
  'GET /v1/audit': { call: async () => ({ path: '/v1/audit' }), ok: [200] },
  'POST /v1/agents': { call: async () => ({ path: '/v1/agents', json: { name: 'x', model: { provider: 'openai', name: 'm' } } }), ok: [201] },
  'GET /v1/agents': { call: async () => ({ path: '/v1/agents' }), ok: [200] },
  'GET /v1/agents/{agentId}': { call: async (a) => ({ path: `/v1/agents/${await a.agent()}` }), ok: [200] },
  'PATCH /v1/agents/{agentId}': { call: async (a) => ({ path: `/v1/agents/${await a.agent()}`, json: { name: 'renamed' } }), ok: [200] },
  'DELETE /v1/agents/{agentId}': { call: async (a) => ({ path: `/v1/agents/${await a.agent()}` }), ok: [204] },
  'GET /v1/agents/{agentId}/versions': { call: async (a) => ({ path: `/v1/agents/${await a.agent()}/versions` }), ok: [200] },
  'POST /v1/files': { call: async () => ({ path: '/v1/files', json: { filename: 'a.png', contentType: 'image/png', sizeBytes: 4 } }), ok: [201] },
  'GET /v1/files/{fileId}': { call: async (a) => ({ path: `/v1/files/${await a.file()}` }), ok: [200] },
  'GET /v1/tools': { call: async () => ({ path: '/v1/tools' }), ok: [200] },
  'GET /v1/analytics/agents/{agentId}': { call: async (a) => ({ path: `/v1/analytics/agents/${await a.agent()}` }), ok: [200] },
  'POST /v1/agents/{agentId}/executions': {
    call: async (a) => ({ path: `/v1/agents/${await a.agent()}/executions`, json: { text: 'hi' } }),
    ok: [202],
  },
  'GET /v1/executions/{executionId}': { call: async (a) => ({ path: `/v1/executions/${await a.execution()}` }), ok: [200] },
  'GET /v1/executions/{executionId}/steps': { call: async (a) => ({ path: `/v1/executions/${await a.execution()}/steps` }), ok: [200] },
  'GET /v1/executions/{executionId}/events': { call: async (a) => ({ path: `/v1/executions/${await a.execution()}/events` }), ok: [200] },
  // The shared execution has failed (no provider): cancelling or deciding on it is a conflict, which is
  // answered only after the role and tenant checks passed.
  'POST /v1/executions/{executionId}/cancel': { call: async (a) => ({ path: `/v1/executions/${await a.execution()}/cancel` }), ok: [200, 409] },
  'POST /v1/executions/{executionId}/approvals': {
    call: async (a) => ({ path: `/v1/executions/${await a.execution()}/approvals`, json: { decision: 'approve' } }),
    ok: [409],
  },
  'POST /v1/workspaces': { call: async () => ({ path: '/v1/workspaces', json: { name: 'w' } }), ok: [201] },
  'GET /v1/workspaces': { call: async () => ({ path: '/v1/workspaces' }), ok: [200] },
  // Workspaces are private to their members (tenant admins act as owners): a viewer or developer of the
  // tenant who is not a member is told the workspace does not exist, like any outsider.
  'GET /v1/workspaces/{workspaceId}': {
    call: async (a) => ({ path: `/v1/workspaces/${await a.workspace()}` }),
    ok: [200],
    expect: { viewer: [404], developer: [404] },
  },
  'PATCH /v1/workspaces/{workspaceId}': {
    call: async (a) => ({ path: `/v1/workspaces/${await a.workspace()}`, json: { name: 'renamed' } }),
    ok: [200],
    expect: { viewer: [404], developer: [404] },
  },
  'DELETE /v1/workspaces/{workspaceId}': {
    call: async (a) => ({ path: `/v1/workspaces/${await a.workspace()}` }),
    ok: [204],
    expect: { viewer: [404], developer: [404] },
  },
  'POST /v1/workspaces/{workspaceId}/members': {
    call: async (a) => ({ path: `/v1/workspaces/${await a.workspace()}/members`, json: { userId: 'someone', role: 'viewer' } }),
    ok: [201],
    expect: { viewer: [404], developer: [404] },
  },
  'GET /v1/workspaces/{workspaceId}/members': {
    call: async (a) => ({ path: `/v1/workspaces/${await a.workspace()}/members` }),
    ok: [200],
    expect: { viewer: [404], developer: [404] },
  },
  'DELETE /v1/workspaces/{workspaceId}/members/{userId}': {
    call: async (a) => {
      const id = await a.workspace();
      await a.post(`/v1/workspaces/${id}/members`, { userId: 'leaving', role: 'viewer' });
      return { path: `/v1/workspaces/${id}/members/leaving` };
    },
    ok: [204],
    expect: { viewer: [404], developer: [404] },
  },
  'GET /v1/workspaces/{workspaceId}/messages': {
    call: async (a) => ({ path: `/v1/workspaces/${await a.workspace()}/messages` }),
    ok: [200],
    expect: { viewer: [404], developer: [404] },
  },
  // IDE bridge: requests carry their own files (nothing of tenant A is named). No model provider is configured
  // here, so the model routes answer 503, which comes only after the role check passed.
  'POST /v1/ide/analyze': {
    call: async () => ({ path: '/v1/ide/analyze', json: { language: 'typescript', files: [{ path: 'a.ts', content: 'export {};\n' }] } }),
    ok: [200],
  },
  'POST /v1/ide/complete': {
    call: async () => ({
      path: '/v1/ide/complete',
      json: { language: 'typescript', files: [{ path: 'a.ts', content: 'x\n' }], target: 'a.ts', position: { line: 0, character: 1 } },
    }),
    ok: [200],
  },
  'POST /v1/ide/inline': {
    call: async () => ({
      path: '/v1/ide/inline',
      json: { language: 'typescript', files: [{ path: 'a.ts', content: 'x\n' }], target: 'a.ts', position: { line: 0, character: 1 } },
    }),
    ok: [503],
  },
  'POST /v1/ide/fix': {
    call: async () => ({
      path: '/v1/ide/fix',
      json: { language: 'typescript', files: [{ path: 'a.ts', content: 'const n: number = "1";\n' }], target: 'a.ts', useModel: false },
    }),
    ok: [200],
  },
  'POST /v1/ide/generate': {
    call: async () => ({
      path: '/v1/ide/generate',
      json: { language: 'typescript', files: [{ path: 'a.ts', content: 'x\n' }], target: 'a.ts', instruction: 'more' },
    }),
    ok: [503],
  },
  'POST /v1/ide/refactor': {
    call: async () => ({
      path: '/v1/ide/refactor',
      json: {
        language: 'typescript',
        files: [{ path: 'a.ts', content: 'x\n' }],
        target: 'a.ts',
        instruction: 'rename',
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      },
    }),
    ok: [503],
  },
  'POST /v1/ide/explain': {
    call: async () => ({
      path: '/v1/ide/explain',
      json: {
        language: 'typescript',
        files: [{ path: 'a.ts', content: 'x\n' }],
        target: 'a.ts',
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      },
    }),
    ok: [503],
  },
  'GET /v1/ide/usage': { call: async () => ({ path: '/v1/ide/usage' }), ok: [200] },
  // MCP: one JSON-RPC request; tenant and role rules apply per tool inside (test/protocols/mcp.test.ts).
  'POST /v1/mcp': {
    call: async () => ({
      path: '/v1/mcp',
      json: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      headers: { accept: 'application/json, text/event-stream' },
    }),
    ok: [200],
  },
  'GET /v1/mcp': { call: async () => ({ path: '/v1/mcp' }), ok: [405] },
  'DELETE /v1/mcp': { call: async () => ({ path: '/v1/mcp' }), ok: [405] },
  // Public by design; no OIDC issuer is configured here, so there is no metadata to serve.
  'GET /.well-known/oauth-protected-resource/v1/mcp': { call: async () => ({ path: '/.well-known/oauth-protected-resource/v1/mcp' }), ok: [404] },
  'POST /v1/mcp-servers': {
    call: async () => ({ path: '/v1/mcp-servers', json: { name: `matrix-${++serverNames}`, url: 'https://mcp.invalid/mcp' } }),
    ok: [201],
  },
  'GET /v1/mcp-servers': { call: async () => ({ path: '/v1/mcp-servers' }), ok: [200] },
  'GET /v1/mcp-servers/{serverId}': { call: async (a) => ({ path: `/v1/mcp-servers/${await a.mcpServer()}` }), ok: [200] },
  'PATCH /v1/mcp-servers/{serverId}': {
    call: async (a) => ({ path: `/v1/mcp-servers/${await a.mcpServer()}`, json: { enabled: false } }),
    ok: [200],
  },
  'DELETE /v1/mcp-servers/{serverId}': { call: async (a) => ({ path: `/v1/mcp-servers/${await a.mcpServer()}` }), ok: [204] },
  // `.invalid` never resolves: the server cannot be reached, which is answered only after the tenant check passed.
  'GET /v1/mcp-servers/{serverId}/tools': { call: async (a) => ({ path: `/v1/mcp-servers/${await a.mcpServer()}/tools` }), ok: [502] },
  // The protocol registry holds no tenant data: every tenant reads the same protocols (no 404 for others).
  'GET /v1/protocols': { call: async () => ({ path: '/v1/protocols' }), ok: [200] },
  'GET /v1/protocols/{protocolId}/methods/{method}': {
    call: async () => ({ path: '/v1/protocols/lsp/methods/textDocument%2Fhover' }),
    ok: [200],
    scoped: false,
  },
  'POST /v1/protocols/validate': {
    call: async () => ({
      path: '/v1/protocols/validate',
      json: { protocol: 'mcp', version: '2025-11-25', message: { jsonrpc: '2.0', id: 1, method: 'ping' } },
    }),
    ok: [200],
  },
  'POST /v1/protocols/translate': {
    call: async () => ({
      path: '/v1/protocols/translate',
      json: {
        from: 'lsp',
        to: 'mcp',
        message: {
          jsonrpc: '2.0',
          id: 1,
          method: 'textDocument/hover',
          params: { textDocument: { uri: 'file:///a.ts' }, position: { line: 0, character: 0 } },
        },
      },
    }),
    ok: [200],
  },
  // `.invalid` never resolves: the report says the server is not there (200), after the role check passed.
  'POST /v1/protocols/compat': {
    call: async () => ({ path: '/v1/protocols/compat', json: { protocol: 'mcp', url: 'https://mcp.invalid/mcp' } }),
    ok: [200],
  },
  // n8n monitor: tenant A watches a scripted n8n instance (checked against n8n's OpenAPI document).
  'POST /v1/n8n/instances': {
    call: async () => ({ path: '/v1/n8n/instances', json: { name: `matrix-${++n8nNames}`, baseUrl: n8n.url, apiKey: n8n.apiKey } }),
    ok: [201],
  },
  'GET /v1/n8n/instances': { call: async () => ({ path: '/v1/n8n/instances' }), ok: [200] },
  'GET /v1/n8n/instances/{instanceId}': { call: async (a) => ({ path: `/v1/n8n/instances/${(await a.synced()).instanceId}` }), ok: [200] },
  'PATCH /v1/n8n/instances/{instanceId}': {
    call: async (a) => ({ path: `/v1/n8n/instances/${await a.n8nInstance()}`, json: { name: `renamed-${++n8nNames}` } }),
    ok: [200],
  },
  'DELETE /v1/n8n/instances/{instanceId}': { call: async (a) => ({ path: `/v1/n8n/instances/${await a.n8nInstance()}` }), ok: [204] },
  'POST /v1/n8n/instances/{instanceId}/sync': { call: async (a) => ({ path: `/v1/n8n/instances/${(await a.synced()).instanceId}/sync` }), ok: [200] },
  'GET /v1/n8n/workflows': { call: async () => ({ path: '/v1/n8n/workflows' }), ok: [200] },
  'GET /v1/n8n/workflows/{workflowId}': { call: async (a) => ({ path: `/v1/n8n/workflows/${(await a.synced()).workflowId}` }), ok: [200] },
  'POST /v1/n8n/workflows/{workflowId}/activate': {
    call: async (a) => ({ path: `/v1/n8n/workflows/${(await a.synced()).workflowId}/activate` }),
    ok: [200],
  },
  'POST /v1/n8n/workflows/{workflowId}/deactivate': {
    call: async (a) => ({ path: `/v1/n8n/workflows/${(await a.synced()).workflowId}/deactivate` }),
    ok: [200],
  },
  'GET /v1/n8n/executions': { call: async () => ({ path: '/v1/n8n/executions' }), ok: [200] },
  'GET /v1/n8n/executions/{executionId}': { call: async (a) => ({ path: `/v1/n8n/executions/${(await a.synced()).executionId}` }), ok: [200] },
  'POST /v1/n8n/executions/{executionId}/retry': {
    call: async (a) => ({ path: `/v1/n8n/executions/${(await a.synced()).failedId}/retry` }),
    ok: [200],
  },
  // A finished execution cannot be stopped: the conflict comes after the role and tenant checks passed.
  'POST /v1/n8n/executions/{executionId}/stop': {
    call: async (a) => ({ path: `/v1/n8n/executions/${(await a.synced()).executionId}/stop` }),
    ok: [409],
  },
  'GET /v1/n8n/metrics': { call: async () => ({ path: '/v1/n8n/metrics' }), ok: [200] },
  'POST /v1/n8n/alerts': {
    call: async () => ({ path: '/v1/n8n/alerts', json: { name: 'a', condition: { kind: 'no-success', windowMinutes: 5 } } }),
    ok: [201],
  },
  'GET /v1/n8n/alerts': { call: async () => ({ path: '/v1/n8n/alerts' }), ok: [200] },
  'GET /v1/n8n/alerts/{alertId}': { call: async (a) => ({ path: `/v1/n8n/alerts/${await a.alert()}` }), ok: [200] },
  'PATCH /v1/n8n/alerts/{alertId}': { call: async (a) => ({ path: `/v1/n8n/alerts/${await a.alert()}`, json: { name: 'renamed' } }), ok: [200] },
  'DELETE /v1/n8n/alerts/{alertId}': { call: async (a) => ({ path: `/v1/n8n/alerts/${await a.alert()}` }), ok: [204] },
  'GET /v1/n8n/alerts/{alertId}/events': { call: async (a) => ({ path: `/v1/n8n/alerts/${await a.alert()}/events` }), ok: [200] },
  'POST /v1/n8n/templates': { call: async () => ({ path: '/v1/n8n/templates', json: { name: 't', workflow: N8N_WORKFLOW } }), ok: [201] },
  'GET /v1/n8n/templates': { call: async () => ({ path: '/v1/n8n/templates' }), ok: [200] },
  'GET /v1/n8n/templates/{templateId}': { call: async (a) => ({ path: `/v1/n8n/templates/${await a.template()}` }), ok: [200] },
  'DELETE /v1/n8n/templates/{templateId}': { call: async (a) => ({ path: `/v1/n8n/templates/${await a.template()}` }), ok: [204] },
  'POST /v1/n8n/templates/{templateId}/versions': {
    call: async (a) => ({ path: `/v1/n8n/templates/${await a.template()}/versions`, json: { workflow: N8N_WORKFLOW } }),
    ok: [201],
  },
  'GET /v1/n8n/templates/{templateId}/versions': { call: async (a) => ({ path: `/v1/n8n/templates/${await a.template()}/versions` }), ok: [200] },
  'POST /v1/n8n/templates/{templateId}/deploy': {
    call: async (a) => ({
      path: `/v1/n8n/templates/${await a.template()}/deploy`,
      json: { instanceId: (await a.synced()).instanceId, activate: false },
    }),
    ok: [200],
  },
  'POST /v1/n8n/templates/{templateId}/export': {
    call: async (a) => ({ path: `/v1/n8n/templates/${await a.template()}/export`, json: { workflowId: (await a.synced()).workflowId } }),
    ok: [201],
  },
};

const routes = flatManifest.functions.flatMap((f) => f.http ?? []);
const keyOf = (route: HttpRoute) => `${route.method} ${route.path}`;

const expected = (route: HttpRoute, row: Row, who: Who): number[] => {
  if (who === 'none' || who === 'expired' || who === 'revoked') return route.auth === 'none' ? row.ok : [401];
  if (row.expect?.[who]) return row.expect[who]!;
  const role = who === 'viewer' ? 'viewer' : who === 'developer' ? 'developer' : 'admin';
  if (route.roles && !route.roles.includes(role)) return [403];
  const scoped = row.scoped ?? /\{\w+\}/.test(route.path);
  if ((who === 'other' || who === 'platform') && scoped) return [404];
  return row.ok;
};

beforeAll(async () => {
  n8n = await startScriptedN8n({ contract: await loadN8nContract() });
  const workflow = n8n.addWorkflow({ name: 'matrix' });
  n8n.addExecutions(workflow.id, 4, (i) => (i === 0 ? { status: 'error' } : {}));
  // The scripted n8n listens on loopback, which the monitor refuses unless told this is a private network.
  rt = await startTestRuntime({ scheduler: false, env: { RATE_LIMIT_PER_MINUTE: '100000', N8N_ALLOW_PRIVATE_NETWORKS: 'true' } });
  const platform = { 'x-api-key': rt.apiKey };
  const newTenant = async (name: string) => {
    const res = await rt.fetchJson('/v1/tenants', { method: 'POST', headers: platform, json: { name } });
    if (res.status !== 201) throw new Error(`tenant: ${res.status} ${res.text}`);
    return res.body as { tenantId: string; adminKey: { apiKey: string; keyId: string } };
  };
  const a = await newTenant('Tenant A');
  const b = await newTenant('Tenant B');
  tenantA = new TenantA(a.adminKey.apiKey);
  const jwt = async (roles: string[], extra: { expiresIn?: number } = {}) => ({
    authorization: `Bearer ${await rt.mintJwt({ sub: `matrix-${roles[0]}`, tenantId: a.tenantId, roles, ...extra })}`,
  });
  const revoked = await tenantA.post('/v1/api-keys', { name: 'revoked', role: 'admin' });
  const revoke = await rt.fetchJson(`/v1/api-keys/${revoked.keyId}`, { method: 'DELETE', headers: { 'x-api-key': a.adminKey.apiKey } });
  if (revoke.status !== 204) throw new Error(`revoke: ${revoke.status}`);
  Object.assign(creds, {
    none: {},
    expired: await jwt(['admin'], { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
    revoked: { 'x-api-key': revoked.apiKey as string },
    viewer: await jwt(['viewer']),
    developer: await jwt(['developer']),
    admin: await jwt(['admin']),
    other: { 'x-api-key': b.adminKey.apiKey },
    platform,
  });
}, 120_000);
afterAll(async () => {
  await rt?.stop();
  await n8n?.close();
});

describe('the matrix', () => {
  it('has a row for every route of the manifest (a new route needs its row here)', () => {
    expect(routes.map(keyOf).filter((k) => !ROWS[k])).toEqual([]);
    expect(Object.keys(ROWS).filter((k) => !routes.some((r) => keyOf(r) === k))).toEqual([]);
  });

  it.each(routes.filter((r) => ROWS[keyOf(r)]).map((r) => [keyOf(r), r] as const))(
    '%s answers each principal as its roles and tenant say',
    async (key, route) => {
      const row = ROWS[key]!;
      const got: string[] = [];
      const want: string[] = [];
      for (const who of PRINCIPALS) {
        const call = await row.call(tenantA);
        const res = await rt.fetchJson(call.path, {
          method: route.method,
          headers: { ...creds[who], ...(call.headers ?? {}) },
          ...(call.json !== undefined ? { json: call.json } : {}),
        });
        const allowed = expected(route, row, who);
        got.push(`${who} ${allowed.includes(res.status) ? 'as expected' : res.status}`);
        want.push(`${who} as expected`);
        if (res.status >= 400) problemOf(res);
      }
      expect(got).toEqual(want);
    },
  );

  it("never shows another tenant's resources in lists", async () => {
    const agentId = await tenantA.agent();
    const workspaceId = await tenantA.workspace();
    for (const [path, id, field] of [
      ['/v1/agents?limit=100', agentId, 'agentId'],
      ['/v1/workspaces?limit=100', workspaceId, 'workspaceId'],
    ] as const) {
      for (const who of ['other', 'platform'] as const) {
        const res = await rt.fetchJson(path, { headers: creds[who] });
        expect(res.status).toBe(200);
        expect(res.body.items.map((i: Record<string, string>) => i[field])).not.toContain(id);
      }
    }
  });
});

describe('WebSocket channels of another tenant', () => {
  it('refuse subscribe and publish with 404 error frames, and push nothing across', async () => {
    const workspaceId = await tenantA.workspace();
    const executionId = await tenantA.execution();
    const outsider = await rt.connect(creds.other['x-api-key']);
    const member = await rt.connect(tenantA.apiKey);
    try {
      for (const channel of [`workspace:${workspaceId}`, `execution:${executionId}`]) {
        expect(await request(outsider, { action: 'subscribe', channel })).toMatchObject({ type: 'error', status: 404 });
        expect(await request(outsider, { action: 'presence', channel })).toMatchObject({ type: 'error', status: 404 });
      }
      expect(await request(outsider, { action: 'publish', channel: `workspace:${workspaceId}`, data: 'intrusion' })).toMatchObject({
        type: 'error',
        status: 404,
      });
      // The tenant channel is each tenant's own: naming another tenant's log is not a thing a client can say.
      expect(await request(outsider, { action: 'subscribe', channel: 'n8n:default' })).toMatchObject({ type: 'error', status: 400 });
      expect(await request(member, { action: 'subscribe', channel: `workspace:${workspaceId}` })).toMatchObject({ type: 'subscribed' });
      expect(await request(member, { action: 'publish', channel: `workspace:${workspaceId}`, data: 'inside' })).toMatchObject({ type: 'published' });
      await member.nextMessage(isEvent(`workspace:${workspaceId}`, 'message'));
      expect(outsider.messages.some((m: any) => m?.type === 'event')).toBe(false);
    } finally {
      await outsider.close();
      await member.close();
    }
  });
});
