/**
 * The executions REST routes, declared once: lib/manifest/executions.manifest.ts lists them (stack, local
 * runtime, OpenAPI) and each handler imports its own.
 */
import type { HttpRoute } from '#lib/route-manifest.types.ts';
import * as c from './executions.contracts.ts';

const tags = ['executions'];
const writers = ['admin', 'developer'] as const;

export const startExecutionRoute = {
  method: 'POST', path: '/v1/agents/{agentId}/executions', roles: writers, tags,
  // Each start runs a model loop: cheap to ask for, costly to serve.
  rateLimit: { perMinute: 120 },
  summary: 'Start an execution of the agent (answers at once; send Idempotency-Key to make retries safe)',
  request: { params: c.agentIdParams, body: c.startExecutionBody },
  responses: {
    202: { description: 'Started (or the first result for a repeated Idempotency-Key)', schema: c.execution },
    422: { description: 'The Idempotency-Key was used before for a different request (problem+json naming the header)' },
  },
} satisfies HttpRoute;

export const getExecutionRoute = {
  method: 'GET', path: '/v1/executions/{executionId}', tags, summary: 'An execution',
  request: { params: c.executionIdParams },
  responses: { 200: { description: 'The execution', schema: c.execution } },
} satisfies HttpRoute;

export const listExecutionStepsRoute = {
  method: 'GET', path: '/v1/executions/{executionId}/steps', tags, summary: "An execution's model and tool steps, in order",
  request: { params: c.executionIdParams, query: c.listQuery },
  responses: { 200: { description: 'Page of steps', schema: c.executionStepPage } },
} satisfies HttpRoute;

export const listExecutionEventsRoute = {
  method: 'GET', path: '/v1/executions/{executionId}/events', tags,
  summary: "An execution's events after `afterSeq` (the stream WebSocket subscribers of execution:<id> get)",
  request: { params: c.executionIdParams, query: c.eventsQuery },
  responses: { 200: { description: 'Events, oldest first', schema: c.eventPage } },
} satisfies HttpRoute;

export const cancelExecutionRoute = {
  method: 'POST', path: '/v1/executions/{executionId}/cancel', roles: writers, tags,
  summary: 'Cancel a running execution (repeating it is harmless)',
  request: { params: c.executionIdParams },
  responses: { 200: { description: 'Cancelled', schema: c.execution }, 409: { description: 'Already finished' } },
} satisfies HttpRoute;

export const decideApprovalRoute = {
  method: 'POST', path: '/v1/executions/{executionId}/approvals', roles: writers, tags,
  summary: 'Approve or reject the tool call the execution waits on',
  request: { params: c.executionIdParams, body: c.approvalBody },
  responses: { 200: { description: 'Decided; the run goes on', schema: c.execution }, 409: { description: 'Not waiting for approval' } },
} satisfies HttpRoute;
