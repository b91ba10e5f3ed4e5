/**
 * The agents domain's use cases as MCP tools: list and get agents, run one (waiting a bounded time for its
 * answer), read an execution with its steps, cancel, and decide an approval. Argument schemas are the REST
 * routes' own zod schemas (agents.public.ts), merged into one object per tool; the roles are the REST routes'.
 */
import * as z from 'zod';
import {
  agentIdParams,
  approvalBody,
  executionIdParams,
  isTerminal,
  listQuery,
  startExecutionBody,
  type agentUseCaseRoles,
  type agentUseCases,
  type ExecutionView,
} from '#functions/agents/agents.public.ts';
import { defineMcpTool, type McpTool } from './mcp-tool.ts';

/** API Gateway ends a request after 29 s: a run that takes longer is followed with get_execution. */
export const MAX_WAIT_SECONDS = 25;
export const DEFAULT_WAIT_SECONDS = 20;

export interface AgentToolsPorts {
  agents: ReturnType<typeof agentUseCases>;
  roles: typeof agentUseCaseRoles;
  /** Waits `ms` or until `signal` aborts (injected so tests and the bench control time). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A run stops being worth waiting for once it finished or needs a human. */
const settled = (execution: ExecutionView): boolean => isTerminal(execution.status) || execution.status === 'waiting_approval';

const howToFollow = (executionId: string) => ({
  tool: `get_execution with {"executionId":"${executionId}"}`,
  resource: `mls://executions/${executionId}`,
  rest: `GET /v1/executions/${executionId} (and /steps, /events)`,
  websocket: `subscribe to execution:${executionId}`,
});

const runAgentInput = startExecutionBody.safeExtend({
  ...agentIdParams.shape,
  waitSeconds: z
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .default(DEFAULT_WAIT_SECONDS)
    .describe(`How long to wait for the answer (0-${MAX_WAIT_SECONDS} s); a run still going then is returned with its id to follow`),
  idempotencyKey: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1-255 visible ASCII characters')
    .optional()
    .describe('Makes retries safe: a repeat with the same key and input answers the first run (as the REST Idempotency-Key)'),
});

export const agentTools = (ports: AgentToolsPorts): McpTool[] => {
  const { agents, roles } = ports;
  const sleep = ports.sleep ?? defaultSleep;

  const waitFor = async (principal: Parameters<typeof agents.getExecution>[0], execution: ExecutionView, seconds: number, signal: AbortSignal) => {
    const deadline = Date.now() + seconds * 1000;
    let current = execution;
    // Short polls first (most answers of a small agent take a second or two), then at most one a second.
    for (let interval = 100; !settled(current) && Date.now() < deadline && !signal.aborted; interval = Math.min(interval * 2, 1000)) {
      await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), signal);
      current = await agents.getExecution(principal, current.executionId);
    }
    return current;
  };

  return [
    defineMcpTool({
      name: 'list_agents',
      title: 'List agents',
      description: "Lists the tenant's agents, oldest first (GET /v1/agents). Pass nextCursor back as cursor for the next page.",
      input: listQuery,
      roles: roles.listAgents,
      readOnly: true,
      run: async (principal, args) => ({ ...(await agents.listAgents(principal, args)) }),
    }),
    defineMcpTool({
      name: 'get_agent',
      title: 'Get an agent',
      description: 'An agent: its system prompt, model, tools, limits and version (GET /v1/agents/{agentId}).',
      input: agentIdParams,
      roles: roles.getAgent,
      readOnly: true,
      run: async (principal, args) => ({ ...(await agents.getAgent(principal, args.agentId)) }),
    }),
    defineMcpTool({
      name: 'run_agent',
      title: 'Run an agent',
      description:
        `Starts an execution of the agent with the given text (and/or uploaded images) and waits up to waitSeconds (default ${DEFAULT_WAIT_SECONDS}) ` +
        'for it to finish. Finished: the answer and the execution. Still running or waiting for an approval: the execution id and how to follow it.',
      input: runAgentInput,
      roles: roles.startExecution,
      readOnly: false,
      run: async (principal, args, signal) => {
        const { agentId, waitSeconds, idempotencyKey, ...body } = args;
        const started = await agents.startExecution(principal, agentId, body, idempotencyKey);
        const execution = await waitFor(principal, started, waitSeconds, signal);
        const finished = isTerminal(execution.status);
        return {
          executionId: execution.executionId,
          status: execution.status,
          finished,
          answer: execution.output?.text ?? null,
          ...(execution.error && { error: execution.error }),
          ...(execution.pendingApproval && {
            pendingApproval: execution.pendingApproval,
            next: `approve_execution with {"executionId":"${execution.executionId}","decision":"approve"} (or "reject")`,
          }),
          ...(!finished && { follow: howToFollow(execution.executionId) }),
          execution,
        };
      },
    }),
    defineMcpTool({
      name: 'get_execution',
      title: 'Get an execution',
      description: "An execution's status, answer, error and usage, with its model and tool steps in order (GET /v1/executions/{id} and /steps).",
      input: executionIdParams.extend({
        stepsCursor: listQuery.shape.cursor.describe('nextStepsCursor of a previous answer, for the next page of steps'),
        stepsLimit: listQuery.shape.limit.describe('Steps per page, 1-100'),
      }),
      roles: roles.getExecution,
      readOnly: true,
      run: async (principal, args) => {
        const execution = await agents.getExecution(principal, args.executionId);
        const steps = await agents.listSteps(principal, args.executionId, args.stepsLimit, args.stepsCursor);
        return { ...execution, steps: steps.items, nextStepsCursor: steps.nextCursor };
      },
    }),
    defineMcpTool({
      name: 'cancel_execution',
      title: 'Cancel an execution',
      description: 'Cancels a running execution; repeating it is harmless, a finished one is a conflict (POST /v1/executions/{id}/cancel).',
      input: executionIdParams,
      roles: roles.cancel,
      readOnly: false,
      run: async (principal, args) => ({ ...(await agents.cancel(principal, args.executionId)) }),
    }),
    defineMcpTool({
      name: 'approve_execution',
      title: 'Approve or reject a tool call',
      description:
        'Approves or rejects the tool call an execution waits on (status waiting_approval); the run goes on (POST /v1/executions/{id}/approvals).',
      input: executionIdParams.extend(approvalBody.shape),
      roles: roles.decide,
      readOnly: false,
      run: async (principal, args) => {
        const { executionId, ...decision } = args;
        return { ...(await agents.decide(principal, executionId, decision)) };
      },
    }),
  ];
};
