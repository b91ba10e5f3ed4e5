/**
 * The n8n monitor: registered n8n instances, the workflows and executions synced from them (a scheduled poll
 * and `POST .../sync`), health and metrics, alert rules with their targets, and workflow templates. Each REST
 * route is declared once with the function that answers it; handlers import their route from here.
 */
import { defineDomain, type Access, type RestEndpoint } from '#shared/manifest.types.ts';
import * as c from './n8n-monitor.contracts.ts';

const tags = ['n8n'];
const writers = ['admin', 'developer'] as const;
const fn = (folder: string, file: string): string => `functions/n8n-monitor/${folder}/${file}.handler.ts`;
const notFound = { 404: { description: 'No such resource in your tenant' } };

const db: Access = { database: true };
/** Talks to n8n: unseals the instance's key, may reach private networks when the operator allows it. */
const instances: Access = { database: true, secrets: ['credentialsKey'], settings: ['n8nAllowPrivateNetworks', 'n8nRequestTimeoutMs'] };
/** Writes to the tenant's `n8n` channel (stored, then pushed through realtime's fan-out). */
const publishes: Access = { tables: { connections: 'readwrite' }, websocketManagement: true };
/** A sync stores, publishes its events, and evaluates the tenant's alert rules (webhooks, SNS, the stage's event bus). */
const sync: Access = { ...instances, ...publishes, topics: ['n8nAlerts'], eventBus: true };
const secretsDb: Access = { database: true, secrets: ['credentialsKey'] };
const bucketR: Access = { database: true, bucket: 'read' };
const bucketRw: Access = { database: true, bucket: 'readwrite' };
const bucketInstances: Access = { ...instances, bucket: 'readwrite' };

export const createInstanceRoute = {
  method: 'POST',
  path: '/v1/n8n/instances',
  roles: writers,
  summary: "Register an n8n instance (checks the URL and key with n8n first: 422 with n8n's reason)",
  tags,
  request: { body: c.createInstanceBody },
  responses: {
    201: { description: 'Registered', schema: c.instance },
    409: { description: 'Name in use' },
    422: { description: 'n8n refused the URL or key (its reason in detail)' },
  },
  lambda: { name: 'create-n8n-instance', entry: fn('instances', 'create-instance'), access: instances },
} satisfies RestEndpoint;

export const listInstancesRoute = {
  method: 'GET',
  path: '/v1/n8n/instances',
  summary: "The tenant's n8n instances with their sync status",
  tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of instances', schema: c.instancePage } },
  lambda: { name: 'list-n8n-instances', entry: fn('instances', 'list-instances'), access: db },
} satisfies RestEndpoint;

export const getInstanceRoute = {
  method: 'GET',
  path: '/v1/n8n/instances/{instanceId}',
  summary: 'An n8n instance and its sync status (never its API key)',
  tags,
  request: { params: c.instanceParams },
  responses: { 200: { description: 'The instance', schema: c.instance }, ...notFound },
  lambda: { name: 'get-n8n-instance', entry: fn('instances', 'get-instance'), access: db },
} satisfies RestEndpoint;

export const updateInstanceRoute = {
  method: 'PATCH',
  path: '/v1/n8n/instances/{instanceId}',
  roles: writers,
  summary: 'Rename an instance, or change its URL or key (checked with n8n first)',
  tags,
  request: { params: c.instanceParams, body: c.updateInstanceBody },
  responses: { 200: { description: 'Updated', schema: c.instance }, 422: { description: 'n8n refused the URL or key' }, ...notFound },
  lambda: { name: 'update-n8n-instance', entry: fn('instances', 'update-instance'), access: instances },
} satisfies RestEndpoint;

export const deleteInstanceRoute = {
  method: 'DELETE',
  path: '/v1/n8n/instances/{instanceId}',
  roles: writers,
  summary: 'Forget an instance and everything synced from it',
  tags,
  request: { params: c.instanceParams },
  responses: { 204: { description: 'Deleted' }, ...notFound },
  lambda: { name: 'delete-n8n-instance', entry: fn('instances', 'delete-instance'), access: db },
} satisfies RestEndpoint;

export const syncInstanceRoute = {
  method: 'POST',
  path: '/v1/n8n/instances/{instanceId}/sync',
  roles: writers,
  summary: 'Poll the instance now (answers when the sync ends, within about 20 s; a longer one resumes on the next poll)',
  tags,
  request: { params: c.instanceParams },
  responses: {
    200: { description: 'What the sync did', schema: c.syncResult },
    409: { description: 'A sync of this instance is running' },
    ...notFound,
  },
  lambda: { name: 'sync-n8n-instance', entry: fn('sync', 'sync-instance'), access: sync },
} satisfies RestEndpoint;

export const listWorkflowsRoute = {
  method: 'GET',
  path: '/v1/n8n/workflows',
  summary: 'Synced workflows with their health over a window (runs, failure rate, p50/p95 duration, last failure)',
  tags,
  request: { query: c.listWorkflowsQuery },
  responses: { 200: { description: 'Page of workflows', schema: c.workflowPage } },
  lambda: { name: 'list-n8n-workflows', entry: fn('reads', 'list-workflows'), access: db },
} satisfies RestEndpoint;

export const getWorkflowRoute = {
  method: 'GET',
  path: '/v1/n8n/workflows/{workflowId}',
  summary: 'A workflow with its health over a window',
  tags,
  request: { params: c.workflowParams, query: c.workflowWindowQuery },
  responses: { 200: { description: 'The workflow', schema: c.workflow }, ...notFound },
  lambda: { name: 'get-n8n-workflow', entry: fn('reads', 'get-workflow'), access: db },
} satisfies RestEndpoint;

export const activateWorkflowRoute = {
  method: 'POST',
  path: '/v1/n8n/workflows/{workflowId}/activate',
  roles: writers,
  summary: 'Activate (publish) the workflow in n8n',
  tags,
  request: { params: c.workflowParams },
  responses: { 200: { description: 'Activated', schema: c.workflow }, 422: { description: 'n8n refused' }, ...notFound },
  lambda: { name: 'activate-n8n-workflow', entry: fn('reads', 'activate-workflow'), access: instances },
} satisfies RestEndpoint;

export const deactivateWorkflowRoute = {
  method: 'POST',
  path: '/v1/n8n/workflows/{workflowId}/deactivate',
  roles: writers,
  summary: 'Deactivate (unpublish) the workflow in n8n',
  tags,
  request: { params: c.workflowParams },
  responses: { 200: { description: 'Deactivated', schema: c.workflow }, 422: { description: 'n8n refused' }, ...notFound },
  lambda: { name: 'deactivate-n8n-workflow', entry: fn('reads', 'deactivate-workflow'), access: instances },
} satisfies RestEndpoint;

export const listExecutionsRoute = {
  method: 'GET',
  path: '/v1/n8n/executions',
  summary: 'Synced executions, newest first, by instance, workflow, status and time',
  tags,
  request: { query: c.listExecutionsQuery },
  responses: { 200: { description: 'Page of executions', schema: c.executionPage } },
  lambda: { name: 'list-n8n-executions', entry: fn('reads', 'list-executions'), access: db },
} satisfies RestEndpoint;

export const getExecutionRoute = {
  method: 'GET',
  path: '/v1/n8n/executions/{executionId}',
  summary: 'A synced execution (error message and failing node for failures)',
  tags,
  request: { params: c.executionParams },
  responses: { 200: { description: 'The execution', schema: c.execution }, ...notFound },
  lambda: { name: 'get-n8n-execution', entry: fn('reads', 'get-execution'), access: db },
} satisfies RestEndpoint;

export const retryExecutionRoute = {
  method: 'POST',
  path: '/v1/n8n/executions/{executionId}/retry',
  roles: writers,
  summary: 'Retry a failed execution in n8n (answers the new execution)',
  tags,
  request: { params: c.executionParams },
  responses: { 200: { description: 'The new execution', schema: c.execution }, 409: { description: 'n8n cannot retry it' }, ...notFound },
  lambda: { name: 'retry-n8n-execution', entry: fn('reads', 'retry-execution'), access: instances },
} satisfies RestEndpoint;

export const stopExecutionRoute = {
  method: 'POST',
  path: '/v1/n8n/executions/{executionId}/stop',
  roles: writers,
  summary: 'Stop a running or waiting execution in n8n',
  tags,
  request: { params: c.executionParams },
  responses: { 200: { description: 'Stopped', schema: c.execution }, 409: { description: 'Not running' }, ...notFound },
  lambda: { name: 'stop-n8n-execution', entry: fn('reads', 'stop-execution'), access: instances },
} satisfies RestEndpoint;

export const metricsRoute = {
  method: 'GET',
  path: '/v1/n8n/metrics',
  summary: 'Time series per bucket: runs, failures, duration percentiles',
  tags,
  request: { query: c.metricsQuery },
  responses: { 200: { description: 'The series', schema: c.metrics } },
  lambda: { name: 'get-n8n-metrics', entry: fn('reads', 'get-metrics'), access: db },
} satisfies RestEndpoint;

export const createAlertRoute = {
  method: 'POST',
  path: '/v1/n8n/alerts',
  roles: writers,
  summary: 'Create an alert rule (failure rate, consecutive failures, duration, no success, instance unreachable)',
  tags,
  request: { body: c.createAlertBody },
  responses: { 201: { description: 'Created', schema: c.alert }, ...notFound },
  lambda: { name: 'create-n8n-alert', entry: fn('alerts', 'create-alert'), access: secretsDb },
} satisfies RestEndpoint;

export const listAlertsRoute = {
  method: 'GET',
  path: '/v1/n8n/alerts',
  summary: "The tenant's alert rules and what is firing",
  tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of rules', schema: c.alertPage } },
  lambda: { name: 'list-n8n-alerts', entry: fn('alerts', 'list-alerts'), access: db },
} satisfies RestEndpoint;

export const getAlertRoute = {
  method: 'GET',
  path: '/v1/n8n/alerts/{alertId}',
  summary: 'An alert rule and what is firing',
  tags,
  request: { params: c.alertParams },
  responses: { 200: { description: 'The rule', schema: c.alert }, ...notFound },
  lambda: { name: 'get-n8n-alert', entry: fn('alerts', 'get-alert'), access: db },
} satisfies RestEndpoint;

export const updateAlertRoute = {
  method: 'PATCH',
  path: '/v1/n8n/alerts/{alertId}',
  roles: writers,
  summary: 'Change an alert rule (a new condition starts its incidents over)',
  tags,
  request: { params: c.alertParams, body: c.updateAlertBody },
  responses: { 200: { description: 'Updated', schema: c.alert }, ...notFound },
  lambda: { name: 'update-n8n-alert', entry: fn('alerts', 'update-alert'), access: secretsDb },
} satisfies RestEndpoint;

export const deleteAlertRoute = {
  method: 'DELETE',
  path: '/v1/n8n/alerts/{alertId}',
  roles: writers,
  summary: 'Delete an alert rule and its firings',
  tags,
  request: { params: c.alertParams },
  responses: { 204: { description: 'Deleted' }, ...notFound },
  lambda: { name: 'delete-n8n-alert', entry: fn('alerts', 'delete-alert'), access: db },
} satisfies RestEndpoint;

export const listAlertEventsRoute = {
  method: 'GET',
  path: '/v1/n8n/alerts/{alertId}/events',
  summary: "An alert rule's firings and resolutions, newest first",
  tags,
  request: { params: c.alertParams, query: c.listQuery },
  responses: { 200: { description: 'Page of events', schema: c.alertEventPage }, ...notFound },
  lambda: { name: 'list-n8n-alert-events', entry: fn('alerts', 'list-alert-events'), access: db },
} satisfies RestEndpoint;

export const createTemplateRoute = {
  method: 'POST',
  path: '/v1/n8n/templates',
  roles: writers,
  summary: 'Store a workflow template (version 1; validated: nodes, connections, no credentials)',
  tags,
  request: { body: c.createTemplateBody },
  responses: { 201: { description: 'Created', schema: c.templateWithWorkflow } },
  lambda: { name: 'create-n8n-template', entry: fn('templates', 'create-template'), access: bucketRw },
} satisfies RestEndpoint;

export const listTemplatesRoute = {
  method: 'GET',
  path: '/v1/n8n/templates',
  summary: "The tenant's workflow templates",
  tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of templates', schema: c.templatePage } },
  lambda: { name: 'list-n8n-templates', entry: fn('templates', 'list-templates'), access: db },
} satisfies RestEndpoint;

export const getTemplateRoute = {
  method: 'GET',
  path: '/v1/n8n/templates/{templateId}',
  summary: 'A template with its workflow JSON (latest version, or ?version=)',
  tags,
  request: { params: c.templateParams, query: c.templateQuery },
  responses: { 200: { description: 'The template', schema: c.templateWithWorkflow }, ...notFound },
  lambda: { name: 'get-n8n-template', entry: fn('templates', 'get-template'), access: bucketR },
} satisfies RestEndpoint;

export const deleteTemplateRoute = {
  method: 'DELETE',
  path: '/v1/n8n/templates/{templateId}',
  roles: writers,
  summary: 'Delete a template and all its versions',
  tags,
  request: { params: c.templateParams },
  responses: { 204: { description: 'Deleted' }, ...notFound },
  lambda: { name: 'delete-n8n-template', entry: fn('templates', 'delete-template'), access: bucketRw },
} satisfies RestEndpoint;

export const addTemplateVersionRoute = {
  method: 'POST',
  path: '/v1/n8n/templates/{templateId}/versions',
  roles: writers,
  summary: 'Store a new version of a template',
  tags,
  request: { params: c.templateParams, body: c.addVersionBody },
  responses: { 201: { description: 'The new version', schema: c.templateWithWorkflow }, ...notFound },
  lambda: { name: 'add-n8n-template-version', entry: fn('templates', 'add-template-version'), access: bucketRw },
} satisfies RestEndpoint;

export const listTemplateVersionsRoute = {
  method: 'GET',
  path: '/v1/n8n/templates/{templateId}/versions',
  summary: "A template's versions, newest first",
  tags,
  request: { params: c.templateParams, query: c.listQuery },
  responses: { 200: { description: 'Page of versions', schema: c.templateVersionPage }, ...notFound },
  lambda: { name: 'list-n8n-template-versions', entry: fn('templates', 'list-template-versions'), access: db },
} satisfies RestEndpoint;

export const deployTemplateRoute = {
  method: 'POST',
  path: '/v1/n8n/templates/{templateId}/deploy',
  roles: writers,
  summary: "Create or update the template's workflow in an n8n instance, activating it on request",
  tags,
  request: { params: c.templateParams, body: c.deployBody },
  responses: {
    200: { description: 'Deployed', schema: c.deployResult },
    422: { description: 'n8n refused the workflow (its reason in detail)' },
    ...notFound,
  },
  lambda: { name: 'deploy-n8n-template', entry: fn('templates', 'deploy-template'), access: bucketInstances },
} satisfies RestEndpoint;

export const exportTemplateRoute = {
  method: 'POST',
  path: '/v1/n8n/templates/{templateId}/export',
  roles: writers,
  summary: "Store an existing n8n workflow as the template's next version (credentials stripped)",
  tags,
  request: { params: c.templateParams, body: c.exportBody },
  responses: { 201: { description: 'The new version', schema: c.templateWithWorkflow }, 422: { description: 'n8n refused' }, ...notFound },
  lambda: { name: 'export-n8n-template', entry: fn('templates', 'export-template'), access: bucketInstances },
} satisfies RestEndpoint;

export const n8nMonitorManifest = defineDomain({
  domain: 'n8n-monitor',
  endpoints: [
    createInstanceRoute,
    listInstancesRoute,
    getInstanceRoute,
    updateInstanceRoute,
    deleteInstanceRoute,
    syncInstanceRoute,
    listWorkflowsRoute,
    getWorkflowRoute,
    activateWorkflowRoute,
    deactivateWorkflowRoute,
    listExecutionsRoute,
    getExecutionRoute,
    retryExecutionRoute,
    stopExecutionRoute,
    metricsRoute,
    createAlertRoute,
    listAlertsRoute,
    getAlertRoute,
    updateAlertRoute,
    deleteAlertRoute,
    listAlertEventsRoute,
    createTemplateRoute,
    listTemplatesRoute,
    getTemplateRoute,
    deleteTemplateRoute,
    addTemplateVersionRoute,
    listTemplateVersionsRoute,
    deployTemplateRoute,
    exportTemplateRoute,
  ],
  systemFunctions: [
    {
      name: 'poll-n8n',
      entry: 'functions/n8n-monitor/sync/poll.handler.ts',
      description: "Scheduled: syncs every registered n8n instance, then evaluates each tenant's alert rules",
      access: sync,
      timeoutSeconds: 300,
      schedule: { everyMinutes: 5, setting: 'n8nPollMinutes' },
    },
    {
      name: 'register-n8n-instance',
      entry: 'functions/n8n-monitor/instances/register-instance.handler.ts',
      description: 'Deploy hook: registers (or updates) an n8n instance for a tenant, by name',
      access: secretsDb,
    },
    {
      name: 'setup-stack-n8n',
      entry: 'functions/n8n-monitor/instances/setup-stack-n8n.handler.ts',
      description: "Deploy trigger: sets up the stack's own n8n (owner, API key) and registers it for the default tenant",
      // Its n8n URL, load balancer and the owner and API key secrets come from lib/n8n-stack.ts (the manifest
      // cannot name secrets the n8n stack creates), which also grants them.
      access: { ...secretsDb, settings: ['n8nAllowPrivateNetworks'] },
      timeoutSeconds: 600,
    },
  ],
  // Emitted by the scheduled poll (sync/poll.handler.ts) and the alert notifier (alerts/alert-notifier.adapter.ts).
  metrics: [
    {
      name: 'N8nSyncLagSeconds',
      title: 'Sync lag of the stalest instance (s)',
      statistic: 'Maximum',
      alarm: {
        context: 'alarmN8nSyncLagSeconds',
        default: 1800,
        description:
          'An n8n instance has not synced successfully for longer than the threshold: the monitor shows stale executions and alerts may not fire',
      },
    },
    { name: 'N8nSyncFailures', title: 'Failed instance syncs', statistic: 'Sum' },
    { name: 'N8nAlertsFired', title: 'Alert firings', statistic: 'Sum' },
  ],
});
