/**
 * The agents domain: agent definitions, files, the tool catalog, analytics and executions (a Step Functions
 * tool-use loop). Each REST route is declared once with the function that answers it; handlers import their
 * route from here. The domain's nested stack (lib/) and the local runtime are built from this manifest.
 */
import { defineDomain, type Access, type RestEndpoint } from '#shared/manifest.types.ts';
import * as c from './agents.contracts.ts';
import * as x from './executions.contracts.ts';

const writers = ['admin', 'developer'] as const;
const fn = (folder: string, file: string): string => `functions/agents/${folder}/${file}.handler.ts`;

// --- agent definitions ---------------------------------------------------------------------------------

export const createAgentRoute = {
  method: 'POST',
  path: '/v1/agents',
  roles: writers,
  summary: 'Create an agent (version 1)',
  tags: ['agents'],
  request: { body: c.createAgentBody },
  responses: { 201: { description: 'Created', schema: c.agent } },
  lambda: { name: 'create-agent', entry: fn('definitions', 'create-agent'), access: { database: true } },
} satisfies RestEndpoint;

export const listAgentsRoute = {
  method: 'GET',
  path: '/v1/agents',
  summary: "List the tenant's agents (oldest first)",
  tags: ['agents'],
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of agents', schema: c.agentPage } },
  lambda: { name: 'list-agents', entry: fn('definitions', 'list-agents'), access: { database: true } },
} satisfies RestEndpoint;

export const getAgentRoute = {
  method: 'GET',
  path: '/v1/agents/{agentId}',
  summary: 'Get an agent (ETag: its version)',
  tags: ['agents'],
  request: { params: c.agentIdParams },
  responses: { 200: { description: 'The agent', schema: c.agent } },
  lambda: { name: 'get-agent', entry: fn('definitions', 'get-agent'), access: { database: true } },
} satisfies RestEndpoint;

export const updateAgentRoute = {
  method: 'PATCH',
  path: '/v1/agents/{agentId}',
  roles: writers,
  summary: 'Change some fields of an agent; its version grows by one (If-Match / expectedVersion: 409 on a stale version)',
  tags: ['agents'],
  request: { params: c.agentIdParams, body: c.updateAgentBody, headers: c.ifMatchHeaders },
  responses: { 200: { description: 'The updated agent', schema: c.agent } },
  lambda: {
    name: 'update-agent',
    entry: fn('definitions', 'update-agent'),
    description: 'Updates an agent and records its new version',
    access: { database: true },
  },
} satisfies RestEndpoint;

export const deleteAgentRoute = {
  method: 'DELETE',
  path: '/v1/agents/{agentId}',
  roles: writers,
  summary: 'Delete an agent (its executions and versions are kept)',
  tags: ['agents'],
  request: { params: c.agentIdParams },
  responses: { 204: { description: 'Deleted' } },
  lambda: { name: 'delete-agent', entry: fn('definitions', 'delete-agent'), access: { database: true } },
} satisfies RestEndpoint;

export const listAgentVersionsRoute = {
  method: 'GET',
  path: '/v1/agents/{agentId}/versions',
  summary: "An agent's past and current definitions (newest first)",
  tags: ['agents'],
  request: { params: c.agentIdParams, query: c.listQuery },
  responses: { 200: { description: 'Page of versions', schema: c.agentVersionPage } },
  lambda: { name: 'list-agent-versions', entry: fn('definitions', 'list-agent-versions'), access: { database: true } },
} satisfies RestEndpoint;

// --- files, tools, analytics ---------------------------------------------------------------------------

export const createFileRoute = {
  method: 'POST',
  path: '/v1/files',
  roles: writers,
  summary: 'Register a file and get a presigned upload URL (PUT the bytes there within 15 minutes)',
  tags: ['files'],
  request: { body: c.createFileBody },
  responses: { 201: { description: 'Registered; upload pending', schema: c.createdFile } },
  // The presigned PUT carries this function's credentials, so it needs PutObject.
  lambda: {
    name: 'create-file',
    entry: fn('files', 'create-file'),
    description: 'Registers a file and presigns its upload',
    access: { database: true, bucket: 'readwrite' },
  },
} satisfies RestEndpoint;

export const getFileRoute = {
  method: 'GET',
  path: '/v1/files/{fileId}',
  summary: "A file's metadata and a presigned download URL once uploaded",
  tags: ['files'],
  request: { params: c.fileIdParams },
  responses: { 200: { description: 'The file', schema: c.file } },
  lambda: { name: 'get-file', entry: fn('files', 'get-file'), access: { database: true, bucket: 'read' } },
} satisfies RestEndpoint;

export const listToolsRoute = {
  method: 'GET',
  path: '/v1/tools',
  summary: 'The tools an agent can be given, with the JSON Schema of their arguments',
  tags: ['tools'],
  responses: { 200: { description: 'The catalog', schema: c.toolList } },
  lambda: { name: 'list-tools', entry: fn('tools', 'list-tools'), access: {} },
} satisfies RestEndpoint;

export const getAgentAnalyticsRoute = {
  method: 'GET',
  path: '/v1/analytics/agents/{agentId}',
  summary: "An agent's runs, success rate, durations, tokens by model, tool usage and top errors in a window",
  tags: ['analytics'],
  request: { params: c.agentIdParams, query: c.analyticsQuery },
  responses: { 200: { description: 'Figures for executions created in [from, to)', schema: c.agentAnalytics } },
  lambda: { name: 'get-agent-analytics', entry: fn('analytics', 'get-agent-analytics'), access: { database: true } },
} satisfies RestEndpoint;

// --- executions ----------------------------------------------------------------------------------------

/**
 * Appending execution events pushes them to `execution:<id>` WebSocket subscribers through the realtime
 * domain's fan-out (functions/realtime/realtime.public.ts): the connections table and the @connections API.
 */
// Live subscribers (the connections table, @connections) and the stage's event bus (`Execution Finished`).
const publishesEvents = { tables: { connections: 'readwrite' }, websocketManagement: true, eventBus: true } as const satisfies Access;
const providerKeys = { secrets: ['openaiApiKey', 'anthropicApiKey'], settings: ['openaiBaseUrl', 'anthropicBaseUrl'] } as const satisfies Access;
/**
 * Agents that list remote MCP servers (`mcp:<serverId>`): listing and calling their tools opens the sealed auth
 * headers (the credentials key) and checks the servers' hosts (functions/protocols/protocols.public.ts).
 */
const mcpTools = { secrets: ['credentialsKey'], settings: ['mcpServerAllowedHosts'] } as const satisfies Access;
const executionTags = ['executions'];

export const startExecutionRoute = {
  method: 'POST',
  path: '/v1/agents/{agentId}/executions',
  roles: writers,
  tags: executionTags,
  // Each start runs a model loop: cheap to ask for, costly to serve.
  rateLimit: { perMinute: 120 },
  summary: 'Start an execution of the agent (answers at once; send Idempotency-Key to make retries safe)',
  request: { params: x.agentIdParams, body: x.startExecutionBody, headers: x.idempotencyHeaders },
  responses: {
    202: { description: 'Started (or the first result for a repeated Idempotency-Key)', schema: x.execution },
    422: { description: 'The Idempotency-Key was used before for a different request (problem+json naming the header)' },
  },
  lambda: {
    name: 'start-execution',
    entry: fn('executions', 'start-execution'),
    description: 'Starts an agent execution (202) on the agent state machine; honours Idempotency-Key',
    // bucket read: confirms a just-finished image upload (HeadObject) when the run starts.
    access: { database: true, bucket: 'read', stateMachines: ['agent'] },
  },
} satisfies RestEndpoint;

export const getExecutionRoute = {
  method: 'GET',
  path: '/v1/executions/{executionId}',
  tags: executionTags,
  summary: 'An execution',
  request: { params: x.executionIdParams },
  responses: { 200: { description: 'The execution', schema: x.execution } },
  lambda: {
    name: 'get-execution',
    entry: fn('executions', 'get-execution'),
    description: 'An execution: status, output, error, usage, duration',
    access: { database: true },
  },
} satisfies RestEndpoint;

export const listExecutionStepsRoute = {
  method: 'GET',
  path: '/v1/executions/{executionId}/steps',
  tags: executionTags,
  summary: "An execution's model and tool steps, in order",
  request: { params: x.executionIdParams, query: x.listQuery },
  responses: { 200: { description: 'Page of steps', schema: x.executionStepPage } },
  lambda: { name: 'list-execution-steps', entry: fn('executions', 'list-execution-steps'), access: { database: true } },
} satisfies RestEndpoint;

export const listExecutionEventsRoute = {
  method: 'GET',
  path: '/v1/executions/{executionId}/events',
  tags: executionTags,
  summary: "An execution's events after `afterSeq` (the stream WebSocket subscribers of execution:<id> get)",
  request: { params: x.executionIdParams, query: x.eventsQuery },
  responses: { 200: { description: 'Events, oldest first', schema: x.eventPage } },
  lambda: { name: 'list-execution-events', entry: fn('executions', 'list-execution-events'), access: { database: true } },
} satisfies RestEndpoint;

export const cancelExecutionRoute = {
  method: 'POST',
  path: '/v1/executions/{executionId}/cancel',
  roles: writers,
  tags: executionTags,
  summary: 'Cancel a running execution (repeating it is harmless)',
  request: { params: x.executionIdParams },
  responses: { 200: { description: 'Cancelled', schema: x.execution }, 409: { description: 'Already finished' } },
  lambda: {
    name: 'cancel-execution',
    entry: fn('executions', 'cancel-execution'),
    description: 'Cancels a running execution (StopExecution)',
    access: { ...publishesEvents, database: true, stateMachines: ['agent'] },
  },
} satisfies RestEndpoint;

export const decideApprovalRoute = {
  method: 'POST',
  path: '/v1/executions/{executionId}/approvals',
  roles: writers,
  tags: executionTags,
  summary: 'Approve or reject the tool call the execution waits on',
  request: { params: x.executionIdParams, body: x.approvalBody },
  responses: { 200: { description: 'Decided; the run goes on', schema: x.execution }, 409: { description: 'Not waiting for approval' } },
  lambda: {
    name: 'decide-approval',
    entry: fn('executions', 'decide-approval'),
    description: 'Approves or rejects the tool call an execution waits on (SendTaskSuccess)',
    access: { ...publishesEvents, database: true, stateMachines: ['agent'] },
  },
} satisfies RestEndpoint;

export const agentsManifest = defineDomain({
  domain: 'agents',
  endpoints: [
    createAgentRoute,
    listAgentsRoute,
    getAgentRoute,
    updateAgentRoute,
    deleteAgentRoute,
    listAgentVersionsRoute,
    createFileRoute,
    getFileRoute,
    listToolsRoute,
    getAgentAnalyticsRoute,
    startExecutionRoute,
    getExecutionRoute,
    listExecutionStepsRoute,
    listExecutionEventsRoute,
    cancelExecutionRoute,
    decideApprovalRoute,
  ],
  // The agent state machine's tasks (lib/state-machines/agent.asl.json).
  systemFunctions: [
    {
      name: 'agent-prepare',
      entry: fn('executions', 'prepare'),
      description: 'Agent state machine: checks the agent and its provider, marks the execution running',
      access: { ...publishesEvents, ...providerKeys, database: true },
    },
    {
      name: 'agent-call-model',
      entry: fn('executions', 'call-model'),
      description: 'Agent state machine: one streamed model call with its step record and events',
      access: {
        ...publishesEvents,
        database: true,
        bucket: 'read',
        secrets: [...providerKeys.secrets, ...mcpTools.secrets],
        settings: [...providerKeys.settings, ...mcpTools.settings, 'tokenBatchMs', 'tokenBatchChars'],
      },
      // One answer of up to MAX_OUTPUT_TOKENS streams for minutes; the call is bounded by this task's time.
      timeoutSeconds: c.MODEL_CALL_TIMEOUT_SECONDS,
    },
    {
      name: 'agent-run-tool',
      entry: fn('executions', 'run-tool'),
      description: 'Agent state machine: runs one tool call and records its result',
      access: {
        ...publishesEvents,
        database: true,
        bucket: 'readwrite',
        secrets: mcpTools.secrets,
        settings: ['httpToolAllowedHosts', ...mcpTools.settings],
      },
      timeoutSeconds: 60,
    },
    {
      name: 'agent-wait-for-approval',
      entry: fn('executions', 'wait-for-approval'),
      description: 'Agent state machine: parks the run on a task token until a human decides',
      access: { ...publishesEvents, database: true },
    },
    {
      name: 'agent-mark-failed',
      entry: fn('executions', 'mark-failed'),
      description: 'Agent state machine: records why an execution failed',
      access: { ...publishesEvents, database: true },
    },
  ],
  stateMachines: [
    {
      name: 'agent',
      definition: 'lib/state-machines/agent.asl.json',
      tasks: {
        Prepare: 'agent-prepare',
        CallModel: 'agent-call-model',
        WaitForApproval: 'agent-wait-for-approval',
        RunTool: 'agent-run-tool',
        MarkFailed: 'agent-mark-failed',
      },
    },
  ],
  // Emitted by executions/execution-observer.adapter.ts; the stage dashboard's business figures.
  metrics: [
    { name: 'ExecutionsFinished', title: 'Executions finished per tenant, model and status', statistic: 'Sum', by: ['tenantId', 'model', 'status'] },
    { name: 'ModelTokens', title: 'Model tokens per tenant and model', statistic: 'Sum', by: ['tenantId', 'model'] },
  ],
});
