/**
 * The MCP client SDK against a tenant's remote server: one connection per operation (version negotiation
 * `auto`: the 2026-07-28 `server/discover` probe, falling back to the 2025 `initialize`), every byte over
 * `outboundRequest` (functions/shared/outbound-http.ts), so the SSRF rules of the agents' `http_request` tool
 * hold here too: the address is checked inside the socket's DNS lookup, redirects are never followed blindly,
 * responses are read up to a byte limit, a deadline bounds each exchange.
 *
 * Whatever the server does (hangs, answers 500, lists tools whose results do not match their schemas) ends
 * as a RemoteMcpError or a failed call result, never as an exception the caller did not expect.
 */
import { Client, SdkError, StreamableHTTPClientTransport, type CallToolResult, type FetchLike } from '@modelcontextprotocol/client';
import { OutboundRefusedError, OutboundTimeoutError, outboundRequest, type OutboundPolicy } from '#shared/outbound-http.ts';
import { type RemoteCallResult, type RemoteEndpoint, type RemoteFailureType, type RemoteMcp, RemoteMcpError } from './mcp-server.ts';

/** One MCP response (a tools/list of a large server fits; a runaway stream does not). */
export const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
/** What a tool result may put into the conversation. */
export const MAX_RESULT_TEXT = 64 * 1024;

const CLIENT_INFO = { name: 'multimodal-llm-stack-agents', version: '1.0.0' };

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

const headersOf = (init: RequestInit | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
};

/**
 * `fetch` for the SDK transport over the guarded outbound request. A GET is the 2025 revision's optional SSE
 * stream for server-initiated messages: an agent's tool call has no use for one, and it would never end, so
 * it is answered 405 here as a server without the stream would answer (the transport then goes on without it).
 */
export const guardedFetch =
  (policy: OutboundPolicy, timeoutMs: number): FetchLike =>
  async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method === 'GET') return new Response(null, { status: 405, statusText: 'Method Not Allowed' });
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== 'string') throw new TypeError('The MCP transport sent a body that is not text');
    const response = await outboundRequest(new URL(String(input)), {
      method,
      headers: headersOf(init),
      ...(typeof body === 'string' && { body }),
      timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      policy,
      ...(init?.signal && { signal: init.signal }),
    });
    if (response.truncated) throw new RemoteMcpError('upstream_error', `The server's response is larger than ${MAX_RESPONSE_BYTES} bytes`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    return new Response(NULL_BODY_STATUS.has(response.status) ? null : new Uint8Array(response.body), { status: response.status, headers });
  };

/** Any failure of the SDK or the network, as one of the failure kinds the model reads. */
export const failureOf = (error: unknown, endpoint: RemoteEndpoint, signal: AbortSignal): RemoteMcpError => {
  if (error instanceof RemoteMcpError) return error;
  const host = new URL(endpoint.url).host;
  if (error instanceof OutboundRefusedError) return new RemoteMcpError('refused', `${error.message}.`);
  if (error instanceof OutboundTimeoutError || signal.aborted) {
    return new RemoteMcpError('timeout', `The MCP server at ${host} did not answer within ${endpoint.timeoutMs} ms.`);
  }
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof OutboundRefusedError) return new RemoteMcpError('refused', `${cause.message}.`);
  const code = (error as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof SdkError || error instanceof Error ? error.message : String(error);
  return new RemoteMcpError(
    'upstream_error',
    // One line (the SDK's validation errors are pretty-printed JSON), short enough for a log line or a model.
    `The MCP server at ${host} failed: ${typeof code === 'string' ? `${code} ` : ''}${detail}`.replace(/\s+/g, ' ').slice(0, 1000),
  );
};

const textOf = (result: CallToolResult): { text: string; truncated: boolean; other: Array<Record<string, unknown>> } => {
  const texts: string[] = [];
  const other: Array<Record<string, unknown>> = [];
  for (const block of result.content ?? []) {
    if (block.type === 'text') texts.push(block.text);
    // Binary content cannot go to the model as a tool result; it is named, not inlined.
    else if (block.type === 'image' || block.type === 'audio') other.push({ type: block.type, mimeType: block.mimeType, omitted: true });
    else if (block.type === 'resource_link') other.push({ type: block.type, uri: block.uri, name: block.name });
    else if (block.type === 'resource') {
      const resource = block.resource as { uri: string; text?: string; mimeType?: string };
      if (resource.text !== undefined) texts.push(resource.text);
      else other.push({ type: 'resource', uri: resource.uri, mimeType: resource.mimeType, omitted: true });
    }
  }
  const joined = texts.join('\n');
  return { text: joined.slice(0, MAX_RESULT_TEXT), truncated: joined.length > MAX_RESULT_TEXT, other };
};

export const createRemoteMcp = (policy: OutboundPolicy): RemoteMcp => {
  const withClient = async <T>(
    endpoint: RemoteEndpoint,
    outer: AbortSignal | undefined,
    use: (client: Client, signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const deadline = AbortSignal.timeout(endpoint.timeoutMs);
    const signal = outer ? AbortSignal.any([outer, deadline]) : deadline;
    const client = new Client(CLIENT_INFO, { versionNegotiation: { mode: 'auto' } });
    const transport = new StreamableHTTPClientTransport(new URL(endpoint.url), {
      fetch: guardedFetch(policy, endpoint.timeoutMs),
      requestInit: { headers: endpoint.headers },
    });
    try {
      await client.connect(transport, { signal, timeout: endpoint.timeoutMs });
      return await use(client, signal);
    } catch (error) {
      throw failureOf(error, endpoint, signal);
    } finally {
      await client.close().catch(() => undefined);
    }
  };

  return {
    listTools: (endpoint, signal) =>
      withClient(endpoint, signal, async (client, s) => {
        const { tools } = await client.listTools(undefined, { signal: s, timeout: endpoint.timeoutMs });
        return {
          protocolVersion: client.getNegotiatedProtocolVersion() ?? null,
          tools: tools.map((t) => ({ name: t.name, description: t.description ?? '', inputSchema: t.inputSchema as Record<string, unknown> })),
        };
      }),
    callTool: async (endpoint, name, args, signal) => {
      try {
        return await withClient(endpoint, signal, async (client, s): Promise<RemoteCallResult> => {
          const result = (await client.callTool({ name, arguments: args }, { signal: s, timeout: endpoint.timeoutMs })) as CallToolResult;
          const { text, truncated, other } = textOf(result);
          if (result.isError) {
            return { ok: false, error: { type: 'tool_failed', message: text.slice(0, 4000) || `${name} reported an error without a message.` } };
          }
          const structured = result.structuredContent;
          return {
            ok: true,
            output: {
              ...(structured !== undefined ? { structured } : {}),
              ...(text !== '' || structured === undefined ? { text } : {}),
              ...(truncated && { truncated: true }),
              ...(other.length > 0 && { content: other }),
            },
          };
        });
      } catch (error) {
        const failure = error instanceof RemoteMcpError ? error : new RemoteMcpError('upstream_error', String(error));
        return { ok: false, error: { type: failure.type as RemoteFailureType, message: failure.message } };
      }
    },
  };
};
