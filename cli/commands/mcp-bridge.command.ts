/**
 * `mls mcp-bridge [--url <REST URL>] [--key <API key>]`: an MCP stdio server for clients that only start
 * processes (Claude Desktop, IDE plug-ins), relaying each message to the platform's `/v1/mcp` and each answer
 * back. Each client gets its own process and so its own upstream: nothing is shared or multiplexed, which is
 * exactly what a stateless endpoint wants. Messages pass through unchanged in both directions (either protocol
 * revision: the 2025 handshake, or the 2026-07-28 per-request envelope whose headers the SDK's HTTP transport
 * derives from the message).
 *
 * stdout carries JSON-RPC only. A request the platform cannot answer (unreachable, 401, 5xx) gets a JSON-RPC
 * error for its id; a line that is not JSON gets -32700; diagnostics go to stderr. When stdin closes, the
 * answers still in flight are written, then the process exits 0.
 */
import {
  StreamableHTTPClientTransport,
  deserializeMessage,
  serializeMessage,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from '@modelcontextprotocol/client';
import { connectionFlags, resolveConnection } from '../connection.ts';

/** One JSON-RPC line from a client, at most (a message larger than this is answered -32600 and skipped). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

type Id = string | number | null;

const isRequest = (m: JSONRPCMessage): m is JSONRPCRequest => 'method' in m && 'id' in m;

const errorMessage = (id: Id, code: number, message: string, data?: unknown) =>
  ({ jsonrpc: '2.0', id, error: { code, message, ...(data !== undefined && { data }) } }) as unknown as JSONRPCMessage;

/** Why an upstream exchange failed, in words a user can act on (the API key never appears). */
const describe = (error: unknown, url: string): { message: string; status?: number } => {
  const status = (error as { status?: unknown; code?: unknown }).status ?? (error as { data?: { status?: unknown } }).data?.status;
  const code = typeof status === 'number' ? status : undefined;
  if (code === 401)
    return { message: `The platform at ${url} refused the credentials (401): check --key, MLS_API_KEY or .mls/local.json`, status: code };
  if (code === 403) return { message: `The credentials may not use ${url} (403)`, status: code };
  if (code === 429) return { message: `Rate limited by the platform (429); retry later`, status: code };
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  if (cause) return { message: `Cannot reach ${url} (${cause})` };
  return {
    message: `The platform at ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
    ...(code !== undefined && { status: code }),
  };
};

export interface BridgeOptions {
  endpoint: URL;
  headers: Record<string, string>;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  log: (line: string) => void;
}

/** Runs the relay until `input` ends and every answer in flight is written. */
export const bridge = async (options: BridgeOptions): Promise<void> => {
  const { endpoint, output, log } = options;
  const upstream = new StreamableHTTPClientTransport(endpoint, { requestInit: { headers: options.headers } });
  const pendingInitialize = new Set<Id>();
  const inFlight = new Set<Promise<void>>();

  const write = (message: JSONRPCMessage): void => {
    output.write(serializeMessage(message));
  };

  upstream.onmessage = (message) => {
    // The 2025 handshake's answer fixes the protocol version every later request must carry as a header.
    if ('id' in message && pendingInitialize.delete(message.id as Id) && 'result' in message) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'string') upstream.setProtocolVersion(version);
    }
    write(message);
  };
  upstream.onerror = (error) => log(`upstream: ${error.message}`);
  await upstream.start();

  const forward = (message: JSONRPCMessage): void => {
    if (isRequest(message) && message.method === 'initialize') pendingInitialize.add(message.id);
    const sent = upstream
      .send(message)
      .catch((error: unknown) => {
        const { message: text, status } = describe(error, endpoint.toString());
        log(text);
        if (isRequest(message)) {
          pendingInitialize.delete(message.id);
          write(errorMessage(message.id, -32603, text, status !== undefined ? { status } : undefined));
        }
      })
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  };

  const handleLine = (line: string): void => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      write(errorMessage(null, -32700, 'Parse error: the line is not JSON'));
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      const id = (parsed as { id?: unknown })?.id;
      const batch = Array.isArray(parsed) ? ': batches are not supported, send one message per line' : '';
      write(errorMessage(typeof id === 'string' || typeof id === 'number' ? id : null, -32600, `Invalid Request${batch}`));
      return;
    }
    forward(message);
  };

  let buffer = '';
  let skipping = false;
  await new Promise<void>((resolve, reject) => {
    options.input.setEncoding?.('utf8');
    options.input.on('data', (chunk: string | Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (skipping) skipping = false;
        else handleLine(line);
      }
      if (Buffer.byteLength(buffer) > MAX_LINE_BYTES) {
        write(errorMessage(null, -32600, `Invalid Request: a message longer than ${MAX_LINE_BYTES} bytes`));
        buffer = '';
        skipping = true;
      }
    });
    options.input.on('end', () => {
      if (!skipping) handleLine(buffer);
      resolve();
    });
    options.input.on('error', reject);
  });
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  await upstream.close().catch(() => undefined);
};

export const run = async (args: string[]): Promise<number> => {
  const { url, key, rest } = connectionFlags(args);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write('Usage: mls mcp-bridge [--url <REST URL>] [--key <API key>]\n  MCP over stdio, relayed to <REST URL>/v1/mcp.\n');
    return 0;
  }
  const unknown = rest.filter((a) => a !== '--stdio');
  if (unknown.length > 0) {
    process.stderr.write(`mls mcp-bridge: unknown option ${unknown[0]}\n`);
    return 2;
  }
  const connection = resolveConnection({ url, key });
  const endpoint = new URL(`${connection.restUrl}/v1/mcp`);
  process.stderr.write(`mls mcp-bridge: relaying stdio to ${endpoint} (credentials from ${connection.source})\n`);
  await bridge({
    endpoint,
    headers: { 'x-api-key': connection.apiKey },
    input: process.stdin,
    output: process.stdout,
    log: (line) => process.stderr.write(`mls mcp-bridge: ${line}\n`),
  });
  return 0;
};
