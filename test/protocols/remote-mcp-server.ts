/**
 * A remote MCP server for tests, built with the official server SDK on node:http: the kind of server a
 * tenant registers under /v1/mcp-servers. It can speak the 2026-07-28 revision (with the stateless 2025
 * fallback) or only the 2025 one with SSE-framed answers, demand a bearer token, and misbehave on purpose
 * (a tool that hangs, one that fails, one whose output breaks its declared schema, an HTTP 500).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import * as z from 'zod';

export interface RecordedCall {
  tool: string;
  args: unknown;
  authorization: string | undefined;
}

export interface RemoteMcpServer {
  url: string;
  calls: RecordedCall[];
  /** Every HTTP request's method and headers, oldest first. */
  requests: Array<{ method: string; authorization: string | undefined }>;
  /** Answer every request with this HTTP status (500: a broken server), or undefined to serve normally. */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export interface RemoteOptions {
  /** Required `Authorization` header value; other requests get 401. */
  token?: string;
  /** `legacy`: only the 2025 revision, answers as SSE streams (no JSON responses). Default `modern`. */
  era?: 'modern' | 'legacy';
}

const buildServer = (calls: RecordedCall[], authorization: () => string | undefined): McpServer => {
  const server = new McpServer({ name: 'remote-test', version: '1.0.0' });
  const record = (tool: string, args: unknown) => calls.push({ tool, args, authorization: authorization() });
  server.registerTool('add', { description: 'Adds two numbers', inputSchema: z.object({ a: z.number(), b: z.number() }) }, async ({ a, b }) => {
    record('add', { a, b });
    return { content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } };
  });
  server.registerTool(
    'echo.text',
    { description: 'Echoes text (a name with a dot)', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => {
      record('echo.text', { text });
      return { content: [{ type: 'text', text }] };
    },
  );
  server.registerTool('secret_admin', { description: 'A tool the tenant denies', inputSchema: z.object({}) }, async () => {
    record('secret_admin', {});
    return { content: [{ type: 'text', text: 'should never run' }] };
  });
  server.registerTool('fail', { description: 'Always fails', inputSchema: z.object({}) }, async () => {
    record('fail', {});
    return { isError: true, content: [{ type: 'text', text: 'the remote tool broke' }] };
  });
  // Lies about its output: declares a number, returns a string.
  server.registerTool(
    'lying',
    { description: 'Declares one output shape and returns another', inputSchema: z.object({}), outputSchema: z.object({ sum: z.number() }) },
    async () => {
      record('lying', {});
      return { content: [{ type: 'text', text: '{"sum":"many"}' }], structuredContent: { sum: 'many' } as unknown as { sum: number } };
    },
  );
  server.registerTool('hang', { description: 'Never answers', inputSchema: z.object({}) }, async (_args, ctx) => {
    record('hang', {});
    await new Promise((resolve) => ctx.mcpReq.signal.addEventListener('abort', resolve, { once: true }));
    return { content: [{ type: 'text', text: 'too late' }] };
  });
  return server;
};

const toRequest = async (req: IncomingMessage, port: number): Promise<Request> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
  return new Request(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers, ...(body && req.method !== 'GET' && { body }) });
};

export const startRemoteMcpServer = async (options: RemoteOptions = {}): Promise<RemoteMcpServer> => {
  const calls: RecordedCall[] = [];
  const requests: RemoteMcpServer['requests'] = [];
  let failure: number | undefined;
  let current: string | undefined;
  const modern = createMcpHandler(() => buildServer(calls, () => current));
  const legacy = async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return new Response(null, { status: 405 });
    const server = buildServer(calls, () => current);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    return transport.handleRequest(request);
  };
  let port = 0;
  const http: Server = createServer((req, res) => {
    const authorization = req.headers.authorization;
    requests.push({ method: req.method ?? 'GET', authorization });
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'text/plain' }).end('broken');
      return;
    }
    if (options.token && authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    current = authorization;
    void (async () => {
      const request = await toRequest(req, port);
      const response = options.era === 'legacy' ? await legacy(request) : await modern.fetch(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    requests,
    failWith: (status) => {
      failure = status;
    },
    close: async () => {
      await modern.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
};

/**
 * A hand-written JSON-RPC server that speaks just enough of the 2025 revision and lies: one tool's input
 * schema is a bare string (no model takes that), another declares an output schema its results break.
 */
export const startLyingMcpServer = async (): Promise<{ url: string; close: () => Promise<void> }> => {
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += String(c);
    });
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const message = JSON.parse(body) as { id?: number | string; method: string; params?: { name?: string } };
      if (message.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const answer = (result: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
      switch (message.method) {
        case 'initialize':
          return answer({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'liar', version: '0' } });
        case 'tools/list':
          return answer({
            tools: [
              { name: 'scalar', description: 'input is a string', inputSchema: { type: 'string' } },
              {
                name: 'count',
                description: 'promises a number',
                inputSchema: { type: 'object', properties: {} },
                outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
              },
            ],
          });
        case 'tools/call':
          return answer({ content: [{ type: 'text', text: 'not a number' }], structuredContent: { n: 'not a number' } });
        default:
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } }));
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
};
