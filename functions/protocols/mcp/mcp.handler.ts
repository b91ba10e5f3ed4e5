/**
 * `POST /v1/mcp`: MCP Streamable HTTP (stateless, JSON responses) through the shared HTTP stack, which
 * authenticates (the platform authorizer's principal), counts the request against the tenant's rate limit
 * and refuses oversize bodies; the body itself is left to the MCP SDK, so protocol errors are JSON-RPC errors.
 * `GET` and `DELETE` (the SSE stream and session end of the 2025 revision) answer 405: a Lambda behind API
 * Gateway can hold neither a stream nor a session.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { problem } from '#shared/errors.ts';
import { httpHandler } from '#shared/http.ts';
import { mcpDeleteRoute, mcpGetRoute, mcpPostRoute } from '../protocols.manifest.ts';
import { mcpEndpoint } from './mcp.composition.ts';

const post = httpHandler(mcpPostRoute, async ({ principal, event }) => {
  const response = await mcpEndpoint().serve(principal, event);
  return {
    status: response.status,
    body: response.body === '' ? undefined : JSON.parse(response.body),
    headers: { 'Content-Type': response.contentType ?? 'application/json' },
  };
});

const methodNotAllowed = () => ({
  status: 405,
  body: problem(
    405,
    'method-not-allowed',
    'Method not allowed',
    'This MCP endpoint is stateless and answers POST only (no SSE stream, no session to delete)',
  ),
  headers: { Allow: 'POST', 'Content-Type': 'application/problem+json' },
});

const get = httpHandler(mcpGetRoute, methodNotAllowed);
const remove = httpHandler(mcpDeleteRoute, methodNotAllowed);

export const handler = (event: APIGatewayProxyEvent, context: Context) => {
  if (event.httpMethod === 'POST') return post(event, context);
  return (event.httpMethod === 'GET' ? get : remove)(event, context);
};
