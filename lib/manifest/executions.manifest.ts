/** Agent executions entries of the route manifest: REST routes, Step Functions tasks and the state machine. */
import * as routes from '#functions/agents/executions.routes.ts';
import type { FunctionSpec, StateMachineSpec } from '../route-manifest.types.ts';

const dir = 'functions/agents/executions';

/** Appending execution events pushes them to `execution:<id>` WebSocket subscribers (functions/realtime/event-fanout.ts). */
const publishesEvents = { tables: { connections: 'readwrite' }, websocketManagement: true } as const;

export const functions: FunctionSpec[] = [
  {
    name: 'start-execution',
    domain: 'agents',
    entry: `${dir}/start-execution.handler.ts`,
    description: "Starts an agent execution (202) on the agent state machine; honours Idempotency-Key",
    http: [routes.startExecutionRoute],
    // bucket read: confirms a just-finished image upload (HeadObject) when the run starts.
    access: { database: true, bucket: 'read', stateMachines: ['agent'] },
  },
  {
    name: 'get-execution',
    domain: 'agents',
    entry: `${dir}/get-execution.handler.ts`,
    description: 'An execution: status, output, error, usage, duration',
    http: [routes.getExecutionRoute],
    access: { database: true },
  },
  {
    name: 'list-execution-steps',
    domain: 'agents',
    entry: `${dir}/list-execution-steps.handler.ts`,
    description: "An execution's model and tool steps",
    http: [routes.listExecutionStepsRoute],
    access: { database: true },
  },
  {
    name: 'list-execution-events',
    domain: 'agents',
    entry: `${dir}/list-execution-events.handler.ts`,
    description: "An execution's event stream after a sequence number",
    http: [routes.listExecutionEventsRoute],
    access: { database: true },
  },
  {
    name: 'cancel-execution',
    domain: 'agents',
    entry: `${dir}/cancel-execution.handler.ts`,
    description: 'Cancels a running execution (StopExecution)',
    http: [routes.cancelExecutionRoute],
    access: { ...publishesEvents, database: true, stateMachines: ['agent'] },
  },
  {
    name: 'decide-approval',
    domain: 'agents',
    entry: `${dir}/decide-approval.handler.ts`,
    description: 'Approves or rejects the tool call an execution waits on (SendTaskSuccess)',
    http: [routes.decideApprovalRoute],
    access: { ...publishesEvents, database: true, stateMachines: ['agent'] },
  },
];

/** Task functions run by the state machine (no route). */
export const systemFunctions: FunctionSpec[] = [
  {
    name: 'agent-prepare',
    domain: 'agents',
    entry: `${dir}/prepare.handler.ts`,
    description: 'Agent state machine: checks the agent and its provider, marks the execution running',
    access: { ...publishesEvents, database: true, secrets: ['openaiApiKey', 'anthropicApiKey'], settings: ['openaiBaseUrl', 'anthropicBaseUrl'] },
  },
  {
    name: 'agent-call-model',
    domain: 'agents',
    entry: `${dir}/call-model.handler.ts`,
    description: 'Agent state machine: one streamed model call with its step record and events',
    access: { ...publishesEvents, database: true, bucket: 'read', secrets: ['openaiApiKey', 'anthropicApiKey'], settings: ['openaiBaseUrl', 'anthropicBaseUrl'] },
    timeoutSeconds: 180,
  },
  {
    name: 'agent-run-tool',
    domain: 'agents',
    entry: `${dir}/run-tool.handler.ts`,
    description: 'Agent state machine: runs one tool call and records its result',
    access: { ...publishesEvents, database: true, bucket: 'readwrite', settings: ['httpToolAllowedHosts'] },
    timeoutSeconds: 60,
  },
  {
    name: 'agent-wait-for-approval',
    domain: 'agents',
    entry: `${dir}/wait-for-approval.handler.ts`,
    description: 'Agent state machine: parks the run on a task token until a human decides',
    access: { ...publishesEvents, database: true },
  },
  {
    name: 'agent-mark-failed',
    domain: 'agents',
    entry: `${dir}/mark-failed.handler.ts`,
    description: 'Agent state machine: records why an execution failed',
    access: { ...publishesEvents, database: true },
  },
];

export const stateMachines: StateMachineSpec[] = [
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
];
