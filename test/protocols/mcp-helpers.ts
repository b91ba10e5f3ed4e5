/** MCP clients of the official SDK against the local runtime's `/v1/mcp`, for both protocol revisions. */
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';

/** The revisions the endpoint serves, as the client SDK negotiates them. */
export const revisions = [
  { name: '2025-11-25', negotiation: { mode: 'legacy' as const } },
  { name: '2026-07-28', negotiation: { mode: { pin: '2026-07-28' } } },
] as const;

export type Revision = (typeof revisions)[number];

export const connectMcp = async (restUrl: string, credentials: { apiKey?: string; token?: string }, revision: Revision): Promise<Client> => {
  const client = new Client({ name: 'mls-test', version: '1.0.0' }, { versionNegotiation: { mode: revision.negotiation.mode } });
  const headers: Record<string, string> = credentials.apiKey ? { 'x-api-key': credentials.apiKey } : {};
  const transport = new StreamableHTTPClientTransport(new URL(`${restUrl}/v1/mcp`), {
    requestInit: { headers },
    ...(credentials.token && { authProvider: { token: async () => credentials.token } }),
  });
  await client.connect(transport);
  return client;
};

/** A tool result's JSON: structured content on success, the problem document of an error. */
export const resultJson = (result: CallToolResult | Record<string, unknown>): any => {
  const r = result as CallToolResult;
  if (r.structuredContent) return r.structuredContent;
  const text = r.content?.find((c) => c.type === 'text');
  return text && 'text' in text ? JSON.parse(text.text) : undefined;
};

/** POSTs one raw JSON-RPC body to /v1/mcp, as a hand-rolled client would. */
export const rawMcp = async (restUrl: string, body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${restUrl}/v1/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
};
