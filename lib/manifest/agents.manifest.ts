/** Agents domain entries (agents, tools, files, analytics) of the route manifest (gathered by lib/routes.ts). */
import * as r from '#functions/agents/agents.routes.ts';
import type { FunctionSpec } from '../route-manifest.types.ts';

const entry = (file: string): string => `functions/agents/agents/${file}.handler.ts`;

export const functions: FunctionSpec[] = [
  {
    name: 'create-agent',
    domain: 'agents',
    entry: entry('create-agent'),
    description: 'Creates an agent (version 1)',
    http: [r.createAgentRoute],
    access: { database: true },
  },
  {
    name: 'list-agents',
    domain: 'agents',
    entry: entry('list-agents'),
    description: "Lists the tenant's agents",
    http: [r.listAgentsRoute],
    access: { database: true },
  },
  {
    name: 'get-agent',
    domain: 'agents',
    entry: entry('get-agent'),
    description: 'Reads an agent',
    http: [r.getAgentRoute],
    access: { database: true },
  },
  {
    name: 'update-agent',
    domain: 'agents',
    entry: entry('update-agent'),
    description: 'Updates an agent and records its new version',
    http: [r.updateAgentRoute],
    access: { database: true },
  },
  {
    name: 'delete-agent',
    domain: 'agents',
    entry: entry('delete-agent'),
    description: 'Soft-deletes an agent',
    http: [r.deleteAgentRoute],
    access: { database: true },
  },
  {
    name: 'list-agent-versions',
    domain: 'agents',
    entry: entry('list-agent-versions'),
    description: "Lists an agent's versions",
    http: [r.listAgentVersionsRoute],
    access: { database: true },
  },
  {
    name: 'create-file',
    domain: 'agents',
    entry: entry('create-file'),
    description: 'Registers a file and presigns its upload',
    http: [r.createFileRoute],
    // The presigned PUT carries this function's credentials, so it needs PutObject.
    access: { database: true, bucket: 'readwrite' },
  },
  {
    name: 'get-file',
    domain: 'agents',
    entry: entry('get-file'),
    description: "Reads a file's metadata, confirms its upload and presigns its download",
    http: [r.getFileRoute],
    access: { database: true, bucket: 'read' },
  },
  {
    name: 'list-tools',
    domain: 'agents',
    entry: entry('list-tools'),
    description: 'The tool catalog with JSON Schemas',
    http: [r.listToolsRoute],
    access: {},
  },
  {
    name: 'get-agent-analytics',
    domain: 'agents',
    entry: entry('get-agent-analytics'),
    description: "An agent's execution figures over a time window",
    http: [r.getAgentAnalyticsRoute],
    access: { database: true },
  },
];
