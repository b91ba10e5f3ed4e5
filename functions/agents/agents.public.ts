/**
 * The agents domain's public surface: what other domains may import from it, and nothing else.
 * - `executionChannel()`: the `execution:<id>` channel kind, for realtime's channel registry.
 * - `agentUseCases()`: the use cases behind the agents and executions REST routes, for other front doors
 *   (the MCP endpoint): same principal, same tenant and role rules, same validation and errors.
 * - `models()`: one model call with the deployment's provider keys (the IDE bridge's completions and fixes).
 * - The request and response schemas of those use cases (tool input schemas come from the same zod schemas).
 * Each is built lazily: importing this module opens nothing.
 */
import type { ChannelKind } from '#shared/channels.ts';
import { getPool } from '#shared/db.ts';
import type { HttpRoute } from '#shared/manifest.types.ts';
import type { Principal, Role } from '#shared/principal.ts';
import {
  cancelExecutionRoute,
  decideApprovalRoute,
  getAgentRoute,
  getExecutionRoute,
  listAgentsRoute,
  listExecutionEventsRoute,
  listExecutionStepsRoute,
  startExecutionRoute,
} from './agents.manifest.ts';
import { getAgent, listAgents } from './definitions/agent.service.ts';
import { agents } from './definitions/definitions.composition.ts';
import { executionChannelKind } from './executions/execution-channel.ts';
import { PgExecutionRepository } from './executions/execution.repository.ts';
import { executionsService } from './executions/executions.composition.ts';
import type { GenerateOptions, ModelProviderName, ModelRequest, ModelResponse } from './models/model.types.ts';
import { configuredModels } from './providers/models.composition.ts';

export { agent as agentSchema, agentIdParams, agentPage, listQuery, modelConfig, type AgentView, type ModelConfig } from './agents.contracts.ts';
export {
  approvalBody,
  eventPage,
  eventsQuery,
  execution as executionSchema,
  executionIdParams,
  executionStepPage,
  startExecutionBody,
  type ExecutionStepView,
  type ExecutionView,
} from './executions.contracts.ts';
export { isTerminal } from './executions/execution.ts';
export { ModelError, ModelRequestError, ModelThrottledError, ModelTimeoutError, ModelUnavailableError } from './models/model.errors.ts';
export type { GenerateOptions, ModelMessage, ModelProviderName, ModelRequest, ModelResponse, ModelUsage } from './models/model.types.ts';

const rolesOf = (route: HttpRoute): ReadonlyArray<Role> | undefined => route.roles;

/**
 * The roles each use case of `agentUseCases()` needs, as the REST routes declare them (undefined: any
 * authenticated principal). Other front doors check these, so a role rule changed in the manifest holds there too.
 */
export const agentUseCaseRoles = {
  listAgents: rolesOf(listAgentsRoute),
  getAgent: rolesOf(getAgentRoute),
  startExecution: rolesOf(startExecutionRoute),
  getExecution: rolesOf(getExecutionRoute),
  listSteps: rolesOf(listExecutionStepsRoute),
  listEvents: rolesOf(listExecutionEventsRoute),
  cancel: rolesOf(cancelExecutionRoute),
  decide: rolesOf(decideApprovalRoute),
} satisfies Record<keyof ReturnType<typeof agentUseCases>, ReadonlyArray<Role> | undefined>;

/** The execution channel kind with its subscribe check against this domain's store (the shared pool). */
export const executionChannel = (): ChannelKind => executionChannelKind(async () => new PgExecutionRepository(await getPool()));

/**
 * The agents and executions use cases for callers other than the REST handlers. A function that uses the
 * execution ones needs the manifest access the REST execution functions have (database, the `agent` state
 * machine, bucket read; cancel and decide also publish events: the connections table and @connections).
 */
export const agentUseCases = () => ({
  listAgents: async (principal: Principal, query: { limit: number; cursor?: string | undefined }) => listAgents(await agents(), principal, query),
  getAgent: async (principal: Principal, agentId: string) => getAgent(await agents(), principal, agentId),
  startExecution: async (
    principal: Principal,
    agentId: string,
    body: { text?: string; images?: Array<{ fileId: string }> },
    idempotencyKey?: string,
  ) => (await executionsService()).start(principal, agentId, body, idempotencyKey),
  getExecution: async (principal: Principal, executionId: string) => (await executionsService()).get(principal, executionId),
  listSteps: async (principal: Principal, executionId: string, limit: number, cursor?: string) =>
    (await executionsService()).steps(principal, executionId, limit, cursor),
  listEvents: async (principal: Principal, executionId: string, afterSeq: number, limit: number) =>
    (await executionsService()).events(principal, executionId, afterSeq, limit),
  cancel: async (principal: Principal, executionId: string) => (await executionsService()).cancel(principal, executionId),
  decide: async (principal: Principal, executionId: string, body: { decision: 'approve' | 'reject'; comment?: string }) =>
    (await executionsService()).decide(principal, executionId, body),
});

/**
 * One model call (streamed when `options.onToken` is given) through the same adapters the agent loop uses,
 * with the deployment's keys. Errors are the ModelError family (throttled, timeout, unavailable, request).
 * A function that uses it needs `secrets: ['openaiApiKey', 'anthropicApiKey']` and the base URL settings.
 */
export const models = () => ({
  /** False when the provider has neither a key nor a custom base URL: answer 503, do not call. */
  configured: async (provider: ModelProviderName): Promise<boolean> => (await configuredModels()).configured(provider),
  generate: async (provider: ModelProviderName, request: ModelRequest, options?: GenerateOptions): Promise<ModelResponse> =>
    (await configuredModels()).providers(provider).generate(request, options),
});
