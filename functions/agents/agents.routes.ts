/**
 * The agents domain's REST routes (agents, files, tools catalog, analytics), declared once: the manifest
 * (lib/manifest/agents.manifest.ts) lists them and each handler imports its own.
 */
import type { HttpRoute } from '#lib/route-manifest.types.ts';
import * as c from './agents.contracts.ts';

const writers = ['admin', 'developer'] as const;

export const createAgentRoute = {
  method: 'POST', path: '/v1/agents', roles: writers, summary: 'Create an agent (version 1)', tags: ['agents'],
  request: { body: c.createAgentBody },
  responses: { 201: { description: 'Created', schema: c.agent } },
} satisfies HttpRoute;

export const listAgentsRoute = {
  method: 'GET', path: '/v1/agents', summary: "List the tenant's agents (oldest first)", tags: ['agents'],
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of agents', schema: c.agentPage } },
} satisfies HttpRoute;

export const getAgentRoute = {
  method: 'GET', path: '/v1/agents/{agentId}', summary: 'Get an agent (ETag: its version)', tags: ['agents'],
  request: { params: c.agentIdParams },
  responses: { 200: { description: 'The agent', schema: c.agent } },
} satisfies HttpRoute;

export const updateAgentRoute = {
  method: 'PATCH', path: '/v1/agents/{agentId}', roles: writers,
  summary: 'Change some fields of an agent; its version grows by one (If-Match / expectedVersion: 409 on a stale version)',
  tags: ['agents'],
  request: { params: c.agentIdParams, body: c.updateAgentBody },
  responses: { 200: { description: 'The updated agent', schema: c.agent } },
} satisfies HttpRoute;

export const deleteAgentRoute = {
  method: 'DELETE', path: '/v1/agents/{agentId}', roles: writers,
  summary: 'Delete an agent (its executions and versions are kept)', tags: ['agents'],
  request: { params: c.agentIdParams },
  responses: { 204: { description: 'Deleted' } },
} satisfies HttpRoute;

export const listAgentVersionsRoute = {
  method: 'GET', path: '/v1/agents/{agentId}/versions', summary: "An agent's past and current definitions (newest first)", tags: ['agents'],
  request: { params: c.agentIdParams, query: c.listQuery },
  responses: { 200: { description: 'Page of versions', schema: c.agentVersionPage } },
} satisfies HttpRoute;

export const createFileRoute = {
  method: 'POST', path: '/v1/files', roles: writers,
  summary: 'Register a file and get a presigned upload URL (PUT the bytes there within 15 minutes)', tags: ['files'],
  request: { body: c.createFileBody },
  responses: { 201: { description: 'Registered; upload pending', schema: c.createdFile } },
} satisfies HttpRoute;

export const getFileRoute = {
  method: 'GET', path: '/v1/files/{fileId}', summary: "A file's metadata and a presigned download URL once uploaded", tags: ['files'],
  request: { params: c.fileIdParams },
  responses: { 200: { description: 'The file', schema: c.file } },
} satisfies HttpRoute;

export const listToolsRoute = {
  method: 'GET', path: '/v1/tools', summary: 'The tools an agent can be given, with the JSON Schema of their arguments', tags: ['tools'],
  responses: { 200: { description: 'The catalog', schema: c.toolList } },
} satisfies HttpRoute;

export const getAgentAnalyticsRoute = {
  method: 'GET', path: '/v1/analytics/agents/{agentId}',
  summary: "An agent's runs, success rate, durations, tokens by model, tool usage and top errors in a window", tags: ['analytics'],
  request: { params: c.agentIdParams, query: c.analyticsQuery },
  responses: { 200: { description: 'Figures for executions created in [from, to)', schema: c.agentAnalytics } },
} satisfies HttpRoute;
