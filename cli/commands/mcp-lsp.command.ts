/**
 * `mls mcp-lsp [--root <dir>] [--language <id>] [--timeout <seconds>] -- <server command...>`: any stdio
 * language server as MCP tools. Starts the server (e.g. `pyright-langserver --stdio`,
 * `typescript-language-server --stdio`), initializes it on the workspace root, and serves MCP over stdio
 * (either revision: the SDK's `serveStdio` settles it per connection) with one tool per LSP request the server
 * offers: diagnostics, hover, definition, references, rename, document symbols, completion, inline completion,
 * signature help, formatting, code actions. The tools, their 1-based positions and the conversions both ways
 * are the protocols domain's (the same table as `POST /v1/protocols/translate`), so an agent that learned the
 * tools here meets the same ones there.
 *
 * Documents are read from disk when a tool names them (a path relative to the root, or a file URI) and
 * re-sent when they changed. Edits (rename, formatting, code actions) are returned, never applied.
 * stdout carries MCP only; the server's own output and our diagnostics go to stderr. When stdin closes the
 * language server is shut down and the process exits.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, McpServer, type CallToolResult } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { ServerCapabilities } from 'vscode-languageserver-protocol';
import { argumentsToParams, errorToToolResult, LSP_TOOLS, resultToToolResult, type LspTool } from '#functions/protocols/protocols.public.ts';
import { LanguageServer, LanguageServerError } from '../mcp-lsp/language-server.ts';

const USAGE = `Usage: mls mcp-lsp [--root <dir>] [--language <id>] [--timeout <seconds>] [--http <port> [--host <addr>] [--token <t>]]
                    -- <language server command...>

  Serves a stdio language server's features as MCP tools (1-based lines and columns), over stdio, or with
  --http as a Streamable HTTP endpoint (POST /mcp, stateless, JSON) that the platform's agents can use as a
  remote MCP server (/v1/mcp-servers).

  --root <dir>        the workspace (default: the current directory); relative paths in tool calls start here
  --language <id>     the LSP language id for files whose extension does not say (default: from the extension)
  --timeout <seconds> how long one request to the language server may take (default 30)
  --http <port>       serve HTTP on this port instead of stdio (0: any free port; the URL is printed on stderr)
  --host <addr>       the address to listen on (default 127.0.0.1)
  --token <t>         with --http: require "Authorization: Bearer <t>" (or MLS_MCP_LSP_TOKEN)

  Examples:
    mls mcp-lsp -- pyright-langserver --stdio
    mls mcp-lsp --root ./app -- typescript-language-server --stdio
`;

/** Which server capability each tool needs; diagnostics always work (published ones when not pulled). */
const OFFERED: Record<string, (c: ServerCapabilities) => boolean> = {
  diagnostics: () => true,
  completion: (c) => Boolean(c.completionProvider),
  inline_completion: (c) => Boolean((c as { inlineCompletionProvider?: unknown }).inlineCompletionProvider),
  code_actions: (c) => Boolean(c.codeActionProvider),
  hover: (c) => Boolean(c.hoverProvider),
  definition: (c) => Boolean(c.definitionProvider),
  references: (c) => Boolean(c.referencesProvider),
  rename: (c) => Boolean(c.renameProvider),
  format_document: (c) => Boolean(c.documentFormattingProvider),
  document_symbols: (c) => Boolean(c.documentSymbolProvider),
  signature_help: (c) => Boolean(c.signatureHelpProvider),
};

interface Options {
  root: string;
  language?: string;
  timeoutMs: number;
  command: string[];
  http?: { port: number; host: string; token?: string | undefined };
}

/** One request body at most (the SDK's own default bound). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const parse = (args: string[]): Options | string => {
  const separator = args.indexOf('--');
  const own = separator >= 0 ? args.slice(0, separator) : args;
  const command = separator >= 0 ? args.slice(separator + 1) : [];
  const options: Options = { root: process.cwd(), timeoutMs: 30_000, command };
  for (let i = 0; i < own.length; i++) {
    const flag = own[i]!;
    const value = own[i + 1];
    if (flag === '--root' && value) options.root = value;
    else if (flag === '--language' && value) options.language = value;
    else if (flag === '--timeout' && value && Number(value) > 0) options.timeoutMs = Number(value) * 1000;
    else if (flag === '--http' && value && /^\d+$/.test(value) && Number(value) < 65536) {
      options.http = { host: '127.0.0.1', ...options.http, port: Number(value), token: options.http?.token ?? process.env.MLS_MCP_LSP_TOKEN };
    } else if ((flag === '--host' || flag === '--token') && value) {
      options.http = { port: -1, host: '127.0.0.1', ...options.http, [flag.slice(2)]: value };
    } else return `unknown option ${flag}${value === undefined && flag.startsWith('--') ? ' (or its value is missing)' : ''}`;
    i++;
  }
  if (command.length === 0) return 'give the language server command after --, e.g. mls mcp-lsp -- pyright-langserver --stdio';
  if (options.http && options.http.port < 0) return '--host and --token go with --http <port>';
  return options;
};

const toolHandler =
  (server: LanguageServer, tool: LspTool) =>
  async (args: Record<string, unknown>): Promise<CallToolResult> => {
    try {
      const params = argumentsToParams(tool, { ...args, uri: server.uriOf(String(args.uri)) });
      const uri = (params.textDocument as { uri: string }).uri;
      await server.sync(uri);
      const result =
        tool.method === 'textDocument/diagnostic' ? await server.diagnostics(params as never) : await server.request(tool.method, params);
      return resultToToolResult(result) as CallToolResult;
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      if (!(error instanceof LanguageServerError) && typeof e.code === 'number' && typeof e.message === 'string') {
        return errorToToolResult({ code: e.code, message: e.message, ...(e.data !== undefined && { data: e.data }) }) as CallToolResult;
      }
      return { isError: true, content: [{ type: 'text', text: error instanceof Error ? error.message : String(error) }] };
    }
  };

export const run = async (args: string[]): Promise<number> => {
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = parse(args);
  if (typeof options === 'string') {
    process.stderr.write(`mls mcp-lsp: ${options}\n\n${USAGE}`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`mls mcp-lsp: ${line}\n`);
  const [command, ...commandArgs] = options.command as [string, ...string[]];
  const server = new LanguageServer({
    command,
    args: commandArgs,
    root: options.root,
    language: options.language,
    log,
    requestTimeoutMs: options.timeoutMs,
  });
  try {
    await Promise.race([
      server.initialize(),
      server.exited.then((code) => {
        throw new Error(`the language server exited during initialize (${code ?? 'could not start'})`);
      }),
    ]);
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    await server.close();
    return 1;
  }
  const tools = LSP_TOOLS.filter((t) => OFFERED[t.name]?.(server.capabilities));
  log(`${command} on ${server.root}: ${tools.map((t) => t.name).join(', ')}`);

  const factory = () => {
    const mcp = new McpServer({ name: `mls-mcp-lsp (${command})`, version: '1.0.0' }, { capabilities: { tools: {} } });
    for (const tool of tools) {
      mcp.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: tool.input,
          annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
        },
        toolHandler(server, tool) as never,
      );
    }
    return mcp;
  };

  if (options.http) return serveHttp(options.http, factory, server, log);

  const stdinClosed = new Promise<'stdin'>((resolve) => {
    process.stdin.once('end', () => resolve('stdin'));
    process.stdin.once('close', () => resolve('stdin'));
  });
  const handle = serveStdio(factory, { onerror: (error) => log(error.message) });
  const why = await Promise.race([stdinClosed, server.exited.then(() => 'server' as const)]);
  if (why === 'server') log('the language server exited');
  await handle.close().catch(() => undefined);
  await server.close();
  return why === 'server' ? 1 : 0;
};

/**
 * Streamable HTTP at `POST /mcp`: stateless, JSON responses, both revisions (the SDK's `createMcpHandler` with
 * its stateless legacy leg), so any HTTP MCP client, the platform's agents included, can use the language
 * server. Runs until SIGINT/SIGTERM or the language server exits.
 */
const serveHttp = async (
  http: NonNullable<Options['http']>,
  factory: () => McpServer,
  server: LanguageServer,
  log: (line: string) => void,
): Promise<number> => {
  const handler = createMcpHandler(factory, { legacy: 'stateless', responseMode: 'json', onerror: (error) => log(error.message) });
  const answer = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
  const httpServer = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/mcp') return answer(res, 404, JSON.stringify({ error: 'Not found: the MCP endpoint is POST /mcp' }));
      if (req.method !== 'POST') return answer(res, 405, JSON.stringify({ error: 'POST only: this endpoint is stateless' }), { allow: 'POST' });
      if (http.token && req.headers.authorization !== `Bearer ${http.token}`) {
        return answer(res, 401, JSON.stringify({ error: 'Unauthorized' }), { 'www-authenticate': 'Bearer' });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        if (size > MAX_BODY_BYTES) return answer(res, 413, JSON.stringify({ error: `Body over ${MAX_BODY_BYTES} bytes` }));
        chunks.push(chunk);
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      const response = await handler.fetch(new Request(url, { method: 'POST', headers, body: Buffer.concat(chunks) }));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) answer(res, 500, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } }));
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(http.port, http.host, resolve);
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log(`listening on http://${host}:${address.port}/mcp${http.token ? ' (bearer token required)' : ''}`);
  const signal = new Promise<'signal'>((resolve) => {
    process.once('SIGINT', () => resolve('signal'));
    process.once('SIGTERM', () => resolve('signal'));
  });
  const why = await Promise.race([signal, server.exited.then(() => 'server' as const)]);
  if (why === 'server') log('the language server exited');
  httpServer.closeAllConnections();
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  await server.close();
  return why === 'server' ? 1 : 0;
};
