/**
 * `GET /v1/protocols`, `GET /v1/protocols/{id}/methods/{method}`, `POST /v1/protocols/validate` and
 * `POST /v1/protocols/translate` through the local runtime: what the registry lists and where its schemas
 * come from, known-good and known-bad messages of each protocol, a translation that really reaches the REST
 * API, and the bad input of every route. Also: the MCP revision table of the registry against the SDK
 * server's own answers, and the generated LSP schemas against the installed package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createMcpHandler, McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { REVISION_METHODS, mcpCatalog } from '#functions/protocols/registry/mcp-catalog.adapter.ts';
import { lspSource } from '#functions/protocols/registry/lsp-catalog.adapter.ts';
import { errorPaths, problemOf } from '../support/problem.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime;
let admin: Record<string, string>;
let viewer: Record<string, string>;

beforeAll(async () => {
  rt = await startTestRuntime();
  admin = { authorization: `Bearer ${await rt.mintJwt({ sub: 'admin-1', roles: ['admin'] })}` };
  viewer = { authorization: `Bearer ${await rt.mintJwt({ sub: 'viewer-1', roles: ['viewer'] })}` };
});
afterAll(() => rt?.stop());

const get = (p: string, headers = viewer) => rt.fetchJson(p, { headers });
const post = (p: string, json: unknown, headers = viewer) => rt.fetchJson(p, { method: 'POST', headers, json });
const validate = (json: unknown) => post('/v1/protocols/validate', json);

const hoverParams = { textDocument: { uri: 'file:///w/a.ts' }, position: { line: 2, character: 4 } };

describe('GET /v1/protocols', () => {
  it('lists LSP 3.18, MCP 2026-07-28 and 2025-11-25, REST v1, with their methods and where the schemas come from', async () => {
    const res = await get('/v1/protocols');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.items.map((p: any) => [p.id, p]));
    expect(Object.keys(byId)).toEqual(['lsp', 'mcp', 'rest']);

    const lsp = byId.lsp.versions;
    expect(lsp.map((v: any) => v.version)).toEqual(['3.18']);
    expect(lsp[0].source).toBe(`vscode-languageserver-protocol@${lspSource.version}`);
    const lspMethods = lsp[0].methods.map((m: any) => m.name);
    for (const m of [
      'initialize',
      'textDocument/hover',
      'textDocument/inlineCompletion',
      'workspace/textDocumentContent',
      'textDocument/publishDiagnostics',
    ]) {
      expect(lspMethods).toContain(m);
    }
    expect(lsp[0].methods.find((m: any) => m.name === 'textDocument/publishDiagnostics')).toMatchObject({
      kind: 'notification',
      direction: 'serverToClient',
    });

    expect(byId.mcp.versions.map((v: any) => v.version)).toEqual(['2026-07-28', '2025-11-25']);
    const [modern, legacy] = byId.mcp.versions.map((v: any) => v.methods.map((m: any) => m.name));
    expect(modern).toEqual(expect.arrayContaining(['server/discover', 'tools/call', 'tools/list', 'resources/read', 'prompts/get']));
    expect(modern).not.toContain('initialize');
    expect(legacy).toEqual(expect.arrayContaining(['initialize', 'ping', 'tools/call', 'sampling/createMessage', 'notifications/initialized']));
    expect(byId.mcp.versions[1].methods.find((m: any) => m.name === 'sampling/createMessage')).toMatchObject({ direction: 'serverToClient' });

    const rest = byId.rest.versions[0];
    expect(rest.version).toBe('v1');
    expect(rest.methods).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'createAgent', route: 'POST /v1/agents' })]));
    // The registry lists itself: it is part of the REST API.
    expect(rest.methods.map((m: any) => m.route)).toEqual(expect.arrayContaining(['POST /v1/protocols/validate', 'POST /v1/protocols/translate']));

    const hover = lsp[0].methods.find((m: any) => m.name === 'textDocument/hover');
    expect(hover.href).toBe('/v1/protocols/lsp/methods/textDocument%2Fhover?version=3.18');
    expect((await get(hover.href)).status).toBe(200);
  });

  it('?include=schemas gives every method with its schemas', async () => {
    const res = await get('/v1/protocols?include=schemas');
    expect(res.status).toBe(200);
    for (const protocol of res.body.items) {
      for (const version of protocol.versions) {
        for (const m of version.methods) {
          if (m.kind === 'request') expect(m.result ?? m.params, `${protocol.id} ${m.name}`).toBeDefined();
        }
      }
    }
  });

  it('refuses an unknown include naming the field', async () => {
    const res = await get('/v1/protocols?include=everything');
    expect(res.status).toBe(400);
    expect(errorPaths(res)).toEqual(['query.include']);
  });

  it('needs credentials', async () => {
    expect((await rt.fetchJson('/v1/protocols')).status).toBe(401);
  });
});

describe('GET /v1/protocols/{id}/methods/{method}', () => {
  it('LSP: self-contained draft-07 schemas that accept a good message and refuse a bad one', async () => {
    const res = await get('/v1/protocols/lsp/methods/textDocument%2Fhover');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ protocol: 'lsp', version: '3.18', name: 'textDocument/hover', kind: 'request', direction: 'clientToServer' });
    const ajv = new Ajv({ strict: false });
    const params = ajv.compile(res.body.params);
    expect(params(hoverParams)).toBe(true);
    expect(params({ textDocument: { uri: 'x' }, position: { line: -1, character: 0 } })).toBe(false);
    const result = ajv.compile(res.body.result);
    expect(result(null)).toBe(true);
    expect(result({ contents: { kind: 'markdown', value: 'x' } })).toBe(true);
    expect(result({ contents: 42 })).toBe(false);
  });

  it('MCP: the SDK schema of the revision asked for, as 2020-12 JSON Schema', async () => {
    const res = await get('/v1/protocols/mcp/methods/tools%2Fcall?version=2025-11-25');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ protocol: 'mcp', version: '2025-11-25', name: 'tools/call', direction: 'clientToServer' });
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.compile(res.body.params)({ name: 'echo', arguments: { a: 1 } })).toBe(true);
    expect(ajv.compile(res.body.params)({ arguments: {} })).toBe(false);
    expect(ajv.compile(res.body.result)({ content: [{ type: 'text', text: 'hi' }] })).toBe(true);
    expect(ajv.compile(res.body.result)({ content: [{ type: 'text', text: 7 }] })).toBe(false);
    // initialize belongs to 2025-11-25 only.
    expect((await get('/v1/protocols/mcp/methods/initialize?version=2026-07-28')).status).toBe(404);
    expect((await get('/v1/protocols/mcp/methods/initialize?version=2025-11-25')).status).toBe(200);
  });

  it('REST: an operation by id or by route, its body schema straight from the OpenAPI document', async () => {
    const byId = await get('/v1/protocols/rest/methods/createAgent');
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ route: 'POST /v1/agents', params: { properties: { body: expect.any(Object) }, required: ['body'] } });
    const ajv = new Ajv2020({ strict: false });
    const body = ajv.compile(byId.body.params.properties.body);
    expect(body({ name: 'bot', model: { provider: 'openai', name: 'gpt-4o-mini' } })).toBe(true);
    expect(body({ name: 3 })).toBe(false);
    const byRoute = await get(`/v1/protocols/rest/methods/${encodeURIComponent('POST /v1/agents')}`);
    expect(byRoute.body.name).toBe('createAgent');
  });

  it.each([
    ['an unknown protocol', '/v1/protocols/grpc/methods/x', 404, undefined],
    ['an unknown method', '/v1/protocols/lsp/methods/textDocument%2Fteleport', 404, undefined],
    ['an unknown version', '/v1/protocols/lsp/methods/initialize?version=4.0', 400, 'query.version'],
    ['an overlong method', `/v1/protocols/lsp/methods/${'a'.repeat(300)}`, 400, 'params.method'],
  ])('%s', async (_, p, status, field) => {
    const res = await get(p);
    expect(res.status).toBe(status);
    const body = problemOf(res);
    if (field) expect(body.errors?.map((e) => e.path)).toEqual([field]);
  });
});

describe('POST /v1/protocols/validate: known-good and known-bad messages', () => {
  const cases: Array<[string, Record<string, unknown>, boolean, string[]]> = [
    ['LSP request', { protocol: 'lsp', message: { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: hoverParams } }, true, []],
    [
      'LSP request with a negative line and a string character',
      {
        protocol: 'lsp',
        message: { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: { ...hoverParams, position: { line: -1, character: 'x' } } },
      },
      false,
      ['/params/position/line', '/params/position/character'],
    ],
    [
      'LSP request missing its position',
      { protocol: 'lsp', message: { jsonrpc: '2.0', id: 1, method: 'textDocument/definition', params: { textDocument: { uri: 'file:///a' } } } },
      false,
      ['/params/position'],
    ],
    ['LSP notification', { protocol: 'lsp', message: { jsonrpc: '2.0', method: 'initialized', params: {} } }, true, []],
    ['LSP notification sent as a request', { protocol: 'lsp', message: { jsonrpc: '2.0', id: 3, method: 'initialized', params: {} } }, false, ['']],
    ['LSP unknown method', { protocol: 'lsp', message: { jsonrpc: '2.0', id: 1, method: 'textDocument/teleport', params: {} } }, false, ['/method']],
    ['LSP $/ method (may be ignored)', { protocol: 'lsp', message: { jsonrpc: '2.0', method: '$/vendor/thing', params: {} } }, true, []],
    [
      'LSP response',
      {
        protocol: 'lsp',
        method: 'textDocument/references',
        message: {
          jsonrpc: '2.0',
          id: 1,
          result: [{ uri: 'file:///a', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } }],
        },
      },
      true,
      [],
    ],
    [
      'LSP response of the wrong shape',
      { protocol: 'lsp', method: 'textDocument/references', message: { jsonrpc: '2.0', id: 1, result: [{ uri: 'file:///a' }] } },
      false,
      ['/result/0/range'],
    ],
    ['LSP batch', { protocol: 'lsp', message: [{ jsonrpc: '2.0', id: 1, method: 'shutdown' }] }, false, ['']],
    ['LSP without jsonrpc', { protocol: 'lsp', message: { id: 1, method: 'shutdown' } }, false, ['/jsonrpc']],
    [
      'MCP 2025-11-25 tools/call',
      { protocol: 'mcp', version: '2025-11-25', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: {} } } },
      true,
      [],
    ],
    [
      'MCP tools/call without a name',
      { protocol: 'mcp', version: '2025-11-25', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { arguments: {} } } },
      false,
      ['/params/name'],
    ],
    [
      'MCP 2026-07-28 request with its envelope',
      {
        protocol: 'mcp',
        version: '2026-07-28',
        message: {
          jsonrpc: '2.0',
          id: 'a',
          method: 'tools/list',
          params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
        },
      },
      true,
      [],
    ],
    [
      'MCP 2026-07-28 request without its envelope',
      { protocol: 'mcp', message: { jsonrpc: '2.0', id: 'a', method: 'tools/list', params: {} } },
      false,
      ['/params/_meta'],
    ],
    [
      'MCP initialize in 2026-07-28',
      { protocol: 'mcp', version: '2026-07-28', message: { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } },
      false,
      ['/method'],
    ],
    [
      'MCP 2026-07-28 result without resultType',
      { protocol: 'mcp', method: 'tools/list', message: { jsonrpc: '2.0', id: 1, result: { tools: [] } } },
      false,
      ['/result/resultType'],
    ],
    [
      'MCP tools/list result with a non-object input schema',
      {
        protocol: 'mcp',
        version: '2025-11-25',
        method: 'tools/list',
        message: { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 't', inputSchema: { type: 'string' } }] } },
      },
      false,
      ['/result/tools/0/inputSchema/type'],
    ],
    ['MCP batch', { protocol: 'mcp', version: '2025-11-25', message: [{ jsonrpc: '2.0', id: 1, method: 'ping' }] }, false, ['']],
    [
      'REST request',
      { protocol: 'rest', message: { method: 'POST', path: '/v1/agents', body: { name: 'bot', model: { provider: 'openai', name: 'm' } } } },
      true,
      [],
    ],
    [
      'REST request with a bad body',
      { protocol: 'rest', message: { method: 'POST', path: '/v1/agents', body: { name: 7, model: { provider: 'openai', name: 'm' } } } },
      false,
      ['/body/name'],
    ],
    ['REST request with a bad query', { protocol: 'rest', message: { method: 'GET', path: '/v1/agents?limit=many' } }, false, ['/query/limit']],
    ['REST request to no route', { protocol: 'rest', message: { method: 'GET', path: '/v2/agents' } }, false, ['/path']],
    ['REST request with the wrong method', { protocol: 'rest', message: { method: 'PUT', path: '/v1/agents' } }, false, ['/method']],
    ['REST response', { protocol: 'rest', message: { method: 'GET', path: '/v1/tools', status: 200, body: { items: [] } } }, true, []],
    [
      'REST response of an undocumented status',
      { protocol: 'rest', message: { method: 'GET', path: '/v1/tools', status: 418, body: {} } },
      false,
      ['/status'],
    ],
  ];

  it.each(cases)('%s', async (_, body, valid, paths) => {
    const res = await validate(body);
    expect(res.status, res.text).toBe(200);
    expect(res.body.valid, JSON.stringify(res.body.errors)).toBe(valid);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([...paths].sort());
    for (const e of res.body.errors) expect(e.message).toEqual(expect.any(String));
  });

  it('says which version and schema it checked', async () => {
    const res = await validate({ protocol: 'lsp', message: { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: hoverParams } });
    expect(res.body).toMatchObject({
      protocol: 'lsp',
      version: '3.18',
      kind: 'request',
      method: 'textDocument/hover',
      schema: 'HoverRequest_Params',
    });
    expect((await validate({ protocol: 'mcp', message: { jsonrpc: '2.0', id: 1, method: 'ping' } })).body).toMatchObject({
      version: '2026-07-28',
      valid: false,
    });
  });
});

describe('POST /v1/protocols/validate: bad input', () => {
  it.each([
    ['no message', { protocol: 'lsp' }, 400, ['body.message']],
    ['an unknown protocol', { protocol: 'grpc', message: {} }, 400, ['body.protocol']],
    ['an unknown version', { protocol: 'mcp', version: '2024-01-01', message: {} }, 400, ['body.version']],
    ['a version of the wrong type', { protocol: 'mcp', version: 2025, message: {} }, 400, ['body.version']],
    ['an unknown field', { protocol: 'lsp', message: {}, extra: true }, 400, ['body']],
  ])('%s', async (_, body, status, paths) => {
    const res = await validate(body);
    expect(res.status).toBe(status);
    expect(errorPaths(res)).toEqual(paths);
  });

  it('a body that is not JSON, or larger than 256 KiB, is refused before anything else', async () => {
    const notJson = await rt.fetchJson('/v1/protocols/validate', {
      method: 'POST',
      headers: { ...viewer, 'content-type': 'application/json' },
      body: '{"protocol":',
    });
    expect(notJson.status).toBe(400);
    problemOf(notJson);
    const huge = await validate({ protocol: 'lsp', message: { jsonrpc: '2.0', method: 'initialized', params: { pad: 'x'.repeat(300 * 1024) } } });
    expect(huge.status).toBe(413);
    problemOf(huge);
  });

  it('needs credentials', async () => {
    expect((await rt.fetchJson('/v1/protocols/validate', { method: 'POST', json: { protocol: 'lsp', message: {} } })).status).toBe(401);
  });
});

describe('POST /v1/protocols/translate', () => {
  it('an LSP request and its result through MCP, as a viewer may', async () => {
    const out = await post('/v1/protocols/translate', {
      from: 'lsp',
      to: 'mcp',
      message: { jsonrpc: '2.0', id: 4, method: 'textDocument/hover', params: hoverParams },
    });
    expect(out.status, out.text).toBe(200);
    expect(out.body).toEqual({
      from: 'lsp',
      to: 'mcp',
      kind: 'request',
      method: 'hover',
      message: { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'hover', arguments: { uri: 'file:///w/a.ts', line: 3, column: 5 } } },
    });
    const back = await post('/v1/protocols/translate', { from: 'mcp', to: 'lsp', message: out.body.message });
    expect(back.body.message).toEqual({ jsonrpc: '2.0', id: 4, method: 'textDocument/hover', params: hoverParams });
  });

  it('LSP diagnostics -> a REST call the platform answers -> the LSP report', async () => {
    const uri = 'file:///proj/src/main.ts';
    const workspace = {
      rootUri: 'file:///proj/',
      documents: [{ uri, languageId: 'typescript', text: "const total: number = 'one';\nexport { total };\n" }],
    };
    const call = await post('/v1/protocols/translate', {
      from: 'lsp',
      to: 'rest',
      message: { jsonrpc: '2.0', id: 1, method: 'textDocument/diagnostic', params: { textDocument: { uri } } },
      workspace,
    });
    expect(call.status, call.text).toBe(200);
    const rest = call.body.message as { method: string; path: string; body: unknown };
    const answer = await rt.fetchJson(rest.path, { method: rest.method, headers: admin, json: rest.body });
    expect(answer.status, answer.text).toBe(200);

    const report = await post('/v1/protocols/translate', {
      from: 'rest',
      to: 'lsp',
      message: { method: rest.method, path: rest.path, status: answer.status, body: answer.body },
      workspace,
    });
    expect(report.status, report.text).toBe(200);
    const items = report.body.message.result.items;
    expect(report.body.message.result.kind).toBe('full');
    expect(items).toEqual([
      expect.objectContaining({ severity: 1, code: 2322, range: { start: { line: 0, character: 6 }, end: { line: 0, character: 11 } } }),
    ]);
    const check = await validate({ protocol: 'lsp', method: 'textDocument/diagnostic', message: report.body.message });
    expect(check.body.errors).toEqual([]);
  });

  it.each([
    [
      'no mapping: the method is named',
      {
        from: 'lsp',
        to: 'mcp',
        message: { jsonrpc: '2.0', id: 1, method: 'textDocument/foldingRange', params: { textDocument: { uri: 'file:///a' } } },
      },
      422,
      ['body.message.method'],
    ],
    [
      'an invalid LSP message',
      {
        from: 'lsp',
        to: 'mcp',
        message: {
          jsonrpc: '2.0',
          id: 1,
          method: 'textDocument/hover',
          params: { textDocument: { uri: 'file:///a' }, position: { line: 'one', character: 0 } },
        },
      },
      400,
      ['body.message.params.position.line'],
    ],
    [
      'a 0 line in an MCP call',
      {
        from: 'mcp',
        to: 'lsp',
        message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hover', arguments: { uri: 'file:///a', line: 0, column: 1 } } },
      },
      400,
      ['body.message.params.arguments.line'],
    ],
    ['a response without its method', { from: 'lsp', to: 'mcp', message: { jsonrpc: '2.0', id: 1, result: null } }, 400, ['body.method']],
    ['from equal to to', { from: 'lsp', to: 'lsp', message: {} }, 400, ['body.to']],
    ['an unknown protocol', { from: 'grpc', to: 'lsp', message: {} }, 400, ['body.from']],
    ['no message', { from: 'lsp', to: 'mcp' }, 400, ['body.message']],
    ['a batch', { from: 'mcp', to: 'lsp', message: [] }, 400, ['body.message']],
    [
      'a workspace document of the wrong type',
      { from: 'lsp', to: 'rest', message: {}, workspace: { documents: [{ uri: 'file:///a', languageId: 'ts', text: 5 }] } },
      400,
      ['body.workspace.documents.0.text'],
    ],
  ])('%s', async (_, body, status, paths) => {
    const res = await post('/v1/protocols/translate', body);
    expect(res.status, res.text).toBe(status);
    expect(errorPaths(res)).toEqual(paths);
  });
});

describe('the registry stays true to its dependencies', () => {
  it('the generated LSP schemas come from the installed vscode-languageserver-protocol (run `npm run generate` after upgrading it)', () => {
    const require = createRequire(import.meta.url);
    let dir = path.dirname(require.resolve('vscode-languageserver-protocol'));
    const nameAt = (d: string) =>
      existsSync(path.join(d, 'package.json')) ? JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')).name : undefined;
    while (nameAt(dir) !== 'vscode-languageserver-protocol') dir = path.dirname(dir);
    const installed = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
    expect(lspSource.version).toBe(installed);
  });

  it("the MCP revision table matches the SDK server's own answers: a method outside a revision is -32601 there", async () => {
    const factory = () => {
      const server = new McpServer({ name: 'table', version: '1.0.0' }, { capabilities: { logging: {} } });
      server.registerTool('echo', { description: 'echo', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
        content: [{ type: 'text', text }],
      }));
      server.registerPrompt('p', { description: 'p' }, async () => ({ messages: [] }));
      server.registerResource('r', 'mls://r', {}, async () => ({ contents: [] }));
      return server;
    };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const modern = createMcpHandler(factory, { legacy: 'reject', responseMode: 'json' });
    const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
    const askModern = async (method: string) => {
      const res = await modern.fetch(
        new Request('http://sdk/mcp', {
          method: 'POST',
          headers: { ...headers, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { _meta: envelope } }),
        }),
      );
      return (await res.json()) as { result?: unknown; error?: { code: number } };
    };
    const askLegacy = async (method: string) => {
      const server = factory();
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      try {
        const res = await transport.handleRequest(
          new Request('http://sdk/mcp', {
            method: 'POST',
            headers: { ...headers, ...(method === 'initialize' ? {} : { 'mcp-protocol-version': '2025-11-25' }) },
            body: JSON.stringify({
              jsonrpc: '2.0',
              id: 1,
              method,
              params: method === 'initialize' ? { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } : {},
            }),
          }),
        );
        return (await res.json()) as { result?: unknown; error?: { code: number } };
      } finally {
        await transport.close();
        await server.close();
      }
    };
    const clientRequests = (await mcpCatalog().versions())
      .flatMap((v) => v.methods)
      .filter((m) => m.kind === 'request' && m.direction !== 'serverToClient')
      .map((m) => m.name);
    const all = [...new Set(clientRequests)];
    expect(all.length).toBeGreaterThan(10);
    for (const [revision, ask] of [
      ['2026-07-28', askModern],
      ['2025-11-25', askLegacy],
    ] as const) {
      for (const method of all.filter((m) => !REVISION_METHODS[revision].has(m))) {
        expect((await ask(method)).error?.code, `${method} in ${revision}`).toBe(-32601);
      }
      // And what the table says the revision has, this server (tools, prompts, resources) answers.
      const served =
        revision === '2026-07-28'
          ? ['server/discover', 'tools/list', 'prompts/list', 'resources/list']
          : ['initialize', 'ping', 'tools/list', 'prompts/list'];
      for (const method of served) {
        expect(REVISION_METHODS[revision].has(method)).toBe(true);
        expect((await ask(method)).result, `${method} in ${revision}`).toBeDefined();
      }
    }
  });
});
