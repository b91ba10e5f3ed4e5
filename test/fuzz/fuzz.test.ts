/**
 * The fuzz suite (issue 11): every REST operation of the OpenAPI document and every WebSocket frame type,
 * hit with requests that are valid but for one hostile change (hostile.ts) plus valid-but-hostile ones
 * (another tenant's ids and channels, reserved action names, no or forged credentials), through the local
 * runtime. Property: never a 5xx, every 4xx is problem+json (or an error frame) naming the problem, and the
 * service is healthy afterwards with the other tenant's data untouched.
 *
 * `npm test` runs a bounded, seeded slice (FUZZ_RUNS=25 per operation and frame type, a fixed seed);
 * `npm run fuzz` runs at least 200 per operation and frame type with a fresh seed, printed so a failure
 * can be replayed: `FUZZ_SEED=<seed> FUZZ_RUNS=<n> npx vitest run test/fuzz` (FUZZ_DEBUG=1 prints every frame).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime, type WsClient } from '../support/runtime.ts';
import { judge, operationsOf, requestsOf, schemaContext, send, type Operation } from './rest-fuzz.ts';
import { frameActions, framesOf } from './ws-fuzz.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
if (process.env.FUZZ_SEED === undefined && RUNS > 25) console.log(`fuzz seed ${SEED}`);

let rt: TestRuntime;
let operations: Operation[] = [];
let ctx: ReturnType<typeof schemaContext>;
let admin: Record<string, string>;
const foreign: Record<string, string[]> = {};
let foreignKey: string;
let foreignChecks: Array<{ path: string }> = [];

const ok = async (path: string, init: RequestInit & { json?: unknown }) => {
  const res = await rt.fetchJson(path, init);
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${res.text}`);
  return res.body;
};

beforeAll(async () => {
  // A flood of requests from one tenant is the point here, not what the rate limiter is for.
  rt = await startTestRuntime({ env: { RATE_LIMIT_PER_MINUTE: '100000000' } });
  const doc = (await rt.fetchJson('/openapi.json')).body;
  operations = operationsOf(doc);
  ctx = schemaContext(doc);
  admin = { authorization: `Bearer ${await rt.mintJwt({ sub: 'fuzzer', roles: ['admin'] })}` };

  // Another tenant's resources: requests of the fuzzing tenant that name them must answer 404, and they
  // must all still be there, unchanged, at the end.
  const tenant = await ok('/v1/tenants', { method: 'POST', headers: { 'x-api-key': rt.apiKey }, json: { name: 'Victim' } });
  foreignKey = tenant.adminKey.apiKey as string;
  const as = { 'x-api-key': foreignKey };
  const agent = await ok('/v1/agents', { method: 'POST', headers: as, json: { name: 'victim-agent', model: { provider: 'openai', name: 'm' } } });
  const workspace = await ok('/v1/workspaces', { method: 'POST', headers: as, json: { name: 'victim-room' } });
  await ok(`/v1/workspaces/${workspace.workspaceId}/members`, { method: 'POST', headers: as, json: { userId: 'victim-user', role: 'viewer' } });
  const file = await ok('/v1/files', { method: 'POST', headers: as, json: { filename: 'v.png', contentType: 'image/png', sizeBytes: 10 } });
  const key = await ok('/v1/api-keys', { method: 'POST', headers: as, json: { name: 'victim-key', role: 'viewer' } });
  const execution = await ok(`/v1/agents/${agent.agentId}/executions`, { method: 'POST', headers: as, json: { text: 'hi' } });
  Object.assign(foreign, {
    agentId: [agent.agentId],
    workspaceId: [workspace.workspaceId],
    userId: ['victim-user'],
    fileId: [file.fileId],
    keyId: [key.keyId],
    executionId: [execution.executionId],
  });
  foreignChecks = [
    { path: `/v1/agents/${agent.agentId}` },
    { path: `/v1/workspaces/${workspace.workspaceId}` },
    { path: `/v1/workspaces/${workspace.workspaceId}/members` },
    { path: `/v1/files/${file.fileId}` },
    { path: `/v1/executions/${execution.executionId}` },
  ];
}, 120_000);
afterAll(() => rt?.stop());

describe('REST fuzz', () => {
  it('covers every operation of the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(20);
  });

  // One test per operation, discovered from the document at run time: a new route is fuzzed the day it lands.
  it('never answers 5xx, and answers every 4xx as problem+json naming the problem', async () => {
    const failures: string[] = [];
    for (const [index, op] of operations.entries()) {
      try {
        await fc.assert(
          fc.asyncProperty(requestsOf(op, ctx, { valid: admin, foreignIds: foreign }), async (c) => {
            const problem = judge(await send(rt.restUrl, c), { jsonRpc: op.path === '/v1/mcp' });
            if (problem) throw new Error(`${c.method} ${c.target.slice(0, 200)} (${c.mutation}) ${problem}`);
          }),
          { numRuns: RUNS, seed: SEED + index, endOnFailure: true },
        );
      } catch (error) {
        // fast-check's message holds the seed and the counterexample; the property's own error is its cause.
        const { message, cause } = error as Error & { cause?: Error };
        const seed = /seed: (-?\d+), path: "([^"]*)"/.exec(message);
        const what = cause?.message ?? `${op.method} ${op.path}: ${message.split('\n')[0]}`;
        failures.push(`${what}${seed ? ` (seed ${seed[1]}, path ${seed[2]})` : ''}`);
      }
    }
    expect(failures).toEqual([]);
  }, 900_000);

  it('leaves the service healthy and the other tenant’s data as it was', async () => {
    expect((await rt.fetchJson('/health')).status).toBe(200);
    expect((await rt.fetchJson('/v1/me', { headers: admin })).status).toBe(200);
    for (const { path } of foreignChecks) {
      const res = await rt.fetchJson(path, { headers: { 'x-api-key': foreignKey } });
      expect(`${path}: ${res.status}`).toBe(`${path}: 200`);
    }
    const members = await rt.fetchJson(foreignChecks[2]!.path, { headers: { 'x-api-key': foreignKey } });
    expect(members.body.items.map((m: { userId: string }) => m.userId)).toContain('victim-user');
  });
});

describe('WebSocket fuzz', () => {
  let ws: WsClient;
  let channels: string[];
  beforeAll(async () => {
    const own = await ok('/v1/workspaces', { method: 'POST', headers: admin, json: { name: 'fuzz-room' } });
    channels = [
      `workspace:${own.workspaceId}`,
      `workspace:${foreign.workspaceId![0]}`,
      `execution:${foreign.executionId![0]}`,
      'n8n',
      'workspace:wsp_doesnotexist000',
      'execution:exe_doesnotexist000',
    ];
    ws = await rt.connect(admin.authorization!.slice(7));
  });
  afterAll(() => ws?.close());

  it.each(frameActions)(
    'answers every %s frame with one ack or a 4xx error frame, and stays usable',
    async (action) => {
      await fc.assert(
        fc.asyncProperty(framesOf(action, channels), async (c) => {
          if (c.binary) ws.socket.send(c.binary);
          else ws.socket.send(c.text ?? '');
          if (process.env.FUZZ_DEBUG) console.log('SEND', c.mutation, (c.text ?? '').slice(0, 200));
          const reply = await ws.nextMessage((m) => m?.type !== 'event', 15_000);
          if (process.env.FUZZ_DEBUG) console.log('GOT', JSON.stringify(reply).slice(0, 200));
          const what = `${action} frame (${c.mutation})`;
          if (reply?.type === 'error') {
            if (!(reply.status >= 400 && reply.status < 500)) throw new Error(`${what} answered ${JSON.stringify(reply).slice(0, 300)}`);
            if (typeof reply.title !== 'string' || typeof reply.detail !== 'string' || reply.detail === '') {
              throw new Error(`${what} answered an error frame that names nothing: ${JSON.stringify(reply)}`);
            }
          } else if (!['subscribed', 'unsubscribed', 'published', 'presence', 'pong'].includes(reply?.type)) {
            throw new Error(`${what} answered ${JSON.stringify(reply).slice(0, 300)}`);
          }
          if (ws.socket.readyState !== ws.socket.OPEN) throw new Error(`${what} closed the connection`);
        }),
        { numRuns: RUNS, seed: SEED + frameActions.indexOf(action) },
      );
      ws.send({ action: 'ping', id: `alive-${action}` });
      expect(await ws.nextMessage((m) => m?.id === `alive-${action}`)).toMatchObject({ type: 'pong' });
    },
    600_000,
  );
});
