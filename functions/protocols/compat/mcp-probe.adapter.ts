/**
 * Talks to the MCP server under test: raw Streamable HTTP exchanges (so the report can show exactly what came
 * back, and send what no SDK would: an unknown method, a malformed body) and the official client SDK for the
 * end-to-end check. Every byte goes through `outboundRequest` (functions/shared/outbound-http.ts), so the
 * SSRF rules of remote MCP servers hold: the address is checked inside the DNS lookup, redirects are not
 * followed, bodies are read up to a limit, each exchange has a deadline.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { OutboundRefusedError, OutboundTimeoutError, outboundRequest, type OutboundPolicy } from '#shared/outbound-http.ts';
import { guardedFetch } from '../mcp-servers/remote-mcp.adapter.ts';
import type { Exchange, McpProbe, ProbeRequest } from './compat.ts';

export const MAX_RESPONSE_BYTES = 1024 * 1024;
export const EXCHANGE_TIMEOUT_MS = 5000;
const MAX_TEXT = 4000;

/** The JSON-RPC messages of a `text/event-stream` body (each event's data lines joined). */
const sseMessages = (text: string): unknown[] => {
  const out: unknown[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data === '') continue;
    try {
      out.push(JSON.parse(data));
    } catch {
      // Not JSON: not a JSON-RPC message; the text is shown as evidence.
    }
  }
  return out;
};

const describeFailure = (error: unknown, host: string, timeoutMs: number): string => {
  if (error instanceof OutboundRefusedError) return `Refused by the outbound rules: ${error.message}`;
  if (error instanceof OutboundTimeoutError) return `${host} did not answer within ${timeoutMs} ms`;
  const code = (error as NodeJS.ErrnoException).code;
  return `${host}: ${code ? `${code} ` : ''}${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
};

export interface ProbeOptions {
  url: URL;
  /** The caller's headers (credentials for the server); never echoed into the report. */
  headers: Record<string, string>;
  policy: OutboundPolicy;
  timeoutMs?: number;
}

export const createMcpProbe = ({ url, headers, policy, timeoutMs = EXCHANGE_TIMEOUT_MS }: ProbeOptions): McpProbe => ({
  send: async (request: ProbeRequest): Promise<Exchange> => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const sent: Record<string, string> = {
      ...headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      // The 2025 revision sends its version after the handshake; 2026-07-28 on every request, with the method.
      ...(request.method !== 'initialize' && { 'mcp-protocol-version': request.revision }),
      ...(request.revision === '2026-07-28' && request.method && { 'mcp-method': request.method }),
      ...(request.sessionId && { 'mcp-session-id': request.sessionId }),
    };
    try {
      const response = await outboundRequest(url, {
        method: 'POST',
        headers: sent,
        body: request.body,
        timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        policy,
      });
      const contentType = String(response.headers['content-type'] ?? '');
      const text = response.body.toString('utf8');
      const sessionId = response.headers['mcp-session-id'];
      let message: unknown;
      if (/text\/event-stream/i.test(contentType)) {
        const messages = sseMessages(text);
        message = messages.find((m) => m !== null && typeof m === 'object' && ('result' in m || 'error' in m)) ?? messages[0];
      } else if (text.trim() !== '') {
        try {
          message = JSON.parse(text);
        } catch {
          message = undefined;
        }
      }
      return {
        httpStatus: response.status,
        ...(contentType && { contentType }),
        ...(message !== undefined ? { message } : text !== '' ? { text: text.slice(0, MAX_TEXT) } : {}),
        ...(typeof sessionId === 'string' && { sessionId }),
        ...(response.truncated && { failure: `The response is larger than ${MAX_RESPONSE_BYTES} bytes` }),
        ms: ms(),
      };
    } catch (error) {
      return { failure: describeFailure(error, url.host, timeoutMs), ms: ms() };
    }
  },

  sdkListTools: async (revision) => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const client = new Client(
      { name: 'multimodal-llm-stack-compat', version: '1.0.0' },
      { versionNegotiation: { mode: revision === '2026-07-28' ? { pin: '2026-07-28' } : 'legacy' } },
    );
    const transport = new StreamableHTTPClientTransport(url, { fetch: guardedFetch(policy, timeoutMs), requestInit: { headers } });
    try {
      await client.connect(transport, { timeout: timeoutMs });
      const { tools } = await client.listTools(undefined, { timeout: timeoutMs });
      return { ok: true, tools: tools.length, ms: ms() };
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      const reason = cause instanceof Error ? describeFailure(cause, url.host, timeoutMs) : error instanceof Error ? error.message : String(error);
      return { ok: false, error: reason.replace(/\s+/g, ' ').slice(0, 1000), ms: ms() };
    } finally {
      await client.close().catch(() => undefined);
    }
  },

  endSession: async (sessionId) => {
    await outboundRequest(url, {
      method: 'DELETE',
      headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      timeoutMs: 2000,
      maxResponseBytes: 4096,
      policy,
    }).catch(() => undefined);
  },
});
