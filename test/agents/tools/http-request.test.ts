/**
 * http_request against a real local HTTP server: the allow-list decides, private addresses stay out unless
 * allowed, and long or slow answers are cut short.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpRequestTool, httpToolConfigFromEnv, isPrivateAddress, type HttpToolConfig } from '#functions/agents/tools/http-request.tool.ts';
import { createToolRunner } from '#functions/agents/tools/tool.runner.ts';
import type { ToolResult } from '#functions/agents/tools/tool.types.ts';
import { call, context } from './tool-fixtures.ts';

let server: Server;
let base: string;
const hanging = new Set<import('node:http').ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/hello') {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-internal': 'not returned' }).end('hi there');
      } else if (req.url === '/echo') {
        res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), contentType: req.headers['content-type'] ?? null }));
      } else if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000));
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      } else if (req.url === '/slow') {
        hanging.add(res);
      } else {
        res.writeHead(404).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  server.close();
});

const run = (config: HttpToolConfig, args: Record<string, unknown>): Promise<ToolResult> =>
  createToolRunner([createHttpRequestTool(config)]).runToolCall(call('http_request', args), context());

const local: HttpToolConfig = { allowedHosts: ['127.0.0.1'], allowPrivateNetworks: true };

describe('http_request', () => {
  it('GETs from an allowed host and returns status, chosen headers and body', async () => {
    const result = await run(local, { url: `${base}/hello` });
    expect(result).toMatchObject({
      ok: true,
      output: { status: 200, body: 'hi there', truncated: false, headers: { 'content-type': 'text/plain' } },
    });
    expect(JSON.stringify(result)).not.toContain('x-internal');
  });

  it('POSTs a body with headers', async () => {
    const result = await run(local, {
      method: 'POST',
      url: `${base}/echo`,
      body: '{"a":1}',
      headers: { 'Content-Type': 'application/json', Host: 'evil.example' },
    });
    if (!result.ok) throw new Error(result.error.message);
    const output = result.output as { status: number; body: string };
    expect(output.status).toBe(201);
    expect(JSON.parse(output.body)).toEqual({ method: 'POST', body: '{"a":1}', contentType: 'application/json' });
  });

  it('refuses a host that is not on the allow-list, naming the allowed ones', async () => {
    const result = await run({ ...local, allowedHosts: ['api.example.com'] }, { url: `${base}/hello` });
    expect(result).toMatchObject({ ok: false, error: { type: 'refused', message: expect.stringContaining('api.example.com') } });
  });

  it('says it is disabled when no host is allowed', async () => {
    const result = await run({ allowedHosts: [] }, { url: `${base}/hello` });
    expect(result).toMatchObject({ ok: false, error: { type: 'disabled', message: expect.stringContaining('HTTP_TOOL_ALLOWED_HOSTS') } });
  });

  it('classes special-purpose and tunnelled addresses as private, public ones not', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '169.254.169.254',
      '::1',
      '::127.0.0.1',
      '::ffff:10.0.0.1',
      'fe80::1',
      'fc00::1',
      'fec0::1',
      '2002:7f00:1::1',
      '2001:0:4136:e378::1',
      'not-an-ip',
    ]) {
      expect(`${address}: ${isPrivateAddress(address)}`).toBe(`${address}: true`);
    }
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']) {
      expect(`${address}: ${isPrivateAddress(address)}`).toBe(`${address}: false`);
    }
  });

  it('refuses loopback addresses, literal or resolved, unless private networks are allowed', async () => {
    const literal = await run({ allowedHosts: ['127.0.0.1'] }, { url: `${base}/hello` });
    expect(literal).toMatchObject({ ok: false, error: { type: 'refused', message: expect.stringContaining('private or local') } });
    // An allowed name that resolves to loopback is caught in the socket's own lookup.
    const port = new URL(base).port;
    const resolved = await run({ allowedHosts: ['localhost'] }, { url: `http://localhost:${port}/hello` });
    expect(resolved).toMatchObject({
      ok: false,
      error: { type: 'refused', message: expect.stringMatching(/localhost resolves to .*private or local address/) },
    });
  });

  it('cuts a long body at the limit and says so', async () => {
    const result = await run({ ...local, maxResponseBytes: 100 }, { url: `${base}/big` });
    expect(result).toMatchObject({ ok: true, output: { truncated: true, bodyBytes: 100 } });
    if (result.ok) expect((result.output as { body: string }).body).toHaveLength(100);
  });

  it('does not follow redirects', async () => {
    const result = await run(local, { url: `${base}/redirect` });
    expect(result).toMatchObject({ ok: true, output: { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } } });
  });

  it('times out on a server that does not answer', async () => {
    const result = await run({ ...local, timeoutMs: 100 }, { url: `${base}/slow` });
    expect(result).toMatchObject({ ok: false, error: { type: 'timeout' } });
  });

  it('rejects a URL that is not http(s), naming the field', async () => {
    const result = await run(local, { url: 'file:///etc/passwd' });
    expect(result).toMatchObject({ ok: false, error: { type: 'invalid_arguments', fields: [{ path: 'url' }] } });
  });

  it('reads its allow-list from the environment', () => {
    expect(httpToolConfigFromEnv({ HTTP_TOOL_ALLOWED_HOSTS: ' api.example.com, *.Example.org ,' })).toEqual({
      allowedHosts: ['api.example.com', '*.example.org'],
      allowPrivateNetworks: false,
    });
    expect(httpToolConfigFromEnv({}).allowedHosts).toEqual([]);
  });
});
