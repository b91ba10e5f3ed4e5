/**
 * `POST /v1/protocols/compat` through the local runtime: the report on our own `/v1/mcp` (both revisions, every
 * check passing), on a deliberately broken MCP server started here (a 500, a schema lie, a hang, a result for
 * a method that does not exist, a parse error it ignores), and the route's bad input (roles, outbound rules,
 * reserved headers). The credentials given for a server are sent to it and never appear in the report.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorPaths, problemOf } from '../support/problem.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime;
let developer: Record<string, string>;
let broken: { url: string; seen: Array<{ method?: string; authorization?: string }>; close: () => Promise<void> };

/**
 * A 2025-11-25-only server that gets most things wrong: discovery answers 500, tools/list lists a tool whose
 * input schema is not an object, resources/list never answers, prompts/list answers 500, an unknown method
 * gets a result, a malformed body gets a result.
 */
const startBrokenServer = async () => {
  const seen: Array<{ method?: string; authorization?: string }> = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    let body: { id?: number; method?: string } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    seen.push({ ...(body?.method && { method: body.method }), ...(req.headers.authorization && { authorization: req.headers.authorization }) });
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const result = (r: unknown) => json(200, { jsonrpc: '2.0', id: body?.id, result: r });
    if (!body) return json(200, { jsonrpc: '2.0', id: 1, result: {} });
    switch (body.method) {
      case 'server/discover':
        res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('boom');
      case 'initialize':
        return result({
          protocolVersion: '2025-11-25',
          capabilities: { tools: {}, resources: {}, prompts: {} },
          serverInfo: { name: 'broken', version: '0.0.1' },
        });
      case 'notifications/initialized':
        res.writeHead(202);
        return res.end();
      case 'tools/list':
        return result({ tools: [{ name: 'count', inputSchema: { type: 'string' } }] });
      case 'resources/list':
        hanging.add(res);
        return;
      case 'prompts/list':
        return json(500, { jsonrpc: '2.0', id: body.id, error: { code: -32603, message: 'internal' } });
      default:
        return result({});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    seen,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

beforeAll(async () => {
  // The servers of this test listen on loopback.
  rt = await startTestRuntime({ env: { HTTP_TOOL_ALLOW_PRIVATE_NETWORKS: 'true' } });
  developer = { authorization: `Bearer ${await rt.mintJwt({ sub: 'dev-1', roles: ['developer'] })}` };
  broken = await startBrokenServer();
});
afterAll(async () => {
  await broken?.close();
  await rt?.stop();
});

const compat = (json: unknown, headers = developer) => rt.fetchJson('/v1/protocols/compat', { method: 'POST', headers, json });
const byId = (report: { checks: Array<{ id: string }> }) => Object.fromEntries(report.checks.map((c) => [c.id, c])) as Record<string, any>;

describe('POST /v1/protocols/compat', () => {
  it('our own /v1/mcp passes every check in both revisions, and the credentials stay out of the report', async () => {
    const res = await compat({ protocol: 'mcp', url: `${rt.restUrl}/v1/mcp`, headers: { 'x-api-key': rt.apiKey } });
    expect(res.status, res.text).toBe(200);
    const report = res.body;
    const failed = report.checks.filter((c: { status: string }) => c.status === 'failed');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(report).toMatchObject({ protocol: 'mcp', passed: true, revisions: ['2026-07-28', '2025-11-25'] });
    const checks = byId(report);
    for (const id of [
      'discover',
      'initialize',
      'initialized',
      'tools/list@2026-07-28',
      'tools/list@2025-11-25',
      'resources/list@2026-07-28',
      'prompts/list@2025-11-25',
      'ping@2025-11-25',
      'unknown-method@2026-07-28',
      'unknown-method@2025-11-25',
      'sdk-client@2026-07-28',
      'sdk-client@2025-11-25',
      'parse-error',
    ]) {
      expect(checks[id]?.status, id).toBe('passed');
    }
    // Evidence: what was sent and what came back.
    expect(checks['tools/list@2025-11-25'].evidence).toMatchObject({
      sent: 'tools/list',
      httpStatus: 200,
      response: { result: { tools: expect.any(Array) } },
    });
    expect(checks['unknown-method@2026-07-28'].evidence.response).toMatchObject({ error: { code: -32601 } });
    expect(res.text).not.toContain(rt.apiKey);
  });

  it('a broken server fails the checks it breaks, each with its evidence, within the time budget', async () => {
    const token = 'Bearer broken-server-s3cret';
    const started = Date.now();
    const res = await compat({ protocol: 'mcp', url: broken.url, headers: { Authorization: token } });
    expect(res.status, res.text).toBe(200);
    expect(Date.now() - started).toBeLessThan(25_000);
    const report = res.body;
    expect(report).toMatchObject({ passed: false, revisions: ['2025-11-25'] });
    const checks = byId(report);
    // A 500 to discovery is a failure, not "does not speak 2026-07-28".
    expect(checks.discover).toMatchObject({ status: 'failed', evidence: { httpStatus: 500, response: 'boom' } });
    expect(checks.initialize.status).toBe('passed');
    expect(checks['tools/list@2025-11-25']).toMatchObject({
      status: 'failed',
      evidence: { errors: [expect.objectContaining({ path: '/tools/0/inputSchema/type' })] },
    });
    expect(checks['resources/list@2025-11-25']).toMatchObject({
      status: 'failed',
      evidence: { note: expect.stringContaining('did not answer within') },
    });
    expect(checks['prompts/list@2025-11-25']).toMatchObject({ status: 'failed', evidence: { httpStatus: 500 } });
    expect(checks['ping@2025-11-25'].status).toBe('passed');
    expect(checks['unknown-method@2025-11-25']).toMatchObject({ status: 'failed', evidence: { note: expect.stringContaining('does not exist') } });
    expect(checks['sdk-client@2025-11-25'].status).toBe('failed');
    expect(checks['parse-error'].status).toBe('failed');
    expect(report.summary.failed).toBeGreaterThanOrEqual(6);
    // The server got the caller's credentials; the report never shows them.
    expect(broken.seen.some((s) => s.authorization === token)).toBe(true);
    expect(res.text).not.toContain('broken-server-s3cret');
  });

  it('a server that is not there is one failed report, not an error of ours', async () => {
    const res = await compat({ protocol: 'mcp', url: 'http://127.0.0.1:9/mcp' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ passed: false, revisions: [] });
    expect(byId(res.body).revisions.status).toBe('failed');
  });

  it.each([
    ['a viewer', { protocol: 'mcp', url: 'http://127.0.0.1:9/mcp' }, 'viewer', 403, []],
    ['a link-local address (cloud metadata)', { protocol: 'mcp', url: 'http://169.254.169.254/mcp' }, 'developer', 422, ['body.url']],
    ['a URL that is not http', { protocol: 'mcp', url: 'file:///etc/passwd' }, 'developer', 400, ['body.url']],
    ['credentials in the URL', { protocol: 'mcp', url: 'http://user:pw@example.com/mcp' }, 'developer', 400, ['body.url']],
    ['a protocol other than mcp', { protocol: 'lsp', url: 'http://127.0.0.1:9/mcp' }, 'developer', 400, ['body.protocol']],
    [
      'a header the probe sets itself',
      { protocol: 'mcp', url: 'http://127.0.0.1:9/mcp', headers: { 'Content-Type': 'text/plain' } },
      'developer',
      400,
      ['body.headers.Content-Type'],
    ],
    [
      'a header value with a line break',
      { protocol: 'mcp', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Token': 'a\r\nHost: evil' } },
      'developer',
      400,
      ['body.headers.X-Token'],
    ],
    ['no url', { protocol: 'mcp' }, 'developer', 400, ['body.url']],
  ])('%s is refused', async (_, body, who, status, paths) => {
    const headers = who === 'viewer' ? { authorization: `Bearer ${await rt.mintJwt({ sub: 'v', roles: ['viewer'] })}` } : developer;
    const res = await compat(body, headers);
    expect(res.status, res.text).toBe(status);
    problemOf(res);
    if (paths.length > 0) expect(errorPaths(res)).toEqual(paths);
  });
});
