/**
 * The agent loop's outcomes for operators: CloudWatch metrics per tenant and model (the dashboard's business
 * figures: `ModelTokens` per model turn, `ExecutionsFinished` per ended run, each with the `tenantId`,
 * `model` dimensions and, for executions, `status`) and `Execution Finished` on the stage's event bus.
 *
 * Each figure is its own single-metric EMF document: its dimensions differ from the function's outcome
 * counts, which share one document per invocation.
 */
import { publishEvents } from '#shared/events.ts';
import { metrics, MetricUnit } from '#shared/observability.ts';
import type { ExecutionObserver } from './agent-loop.service.ts';

/** Model names are client-chosen strings; CloudWatch dimension values are at most 1024 characters. */
const dimension = (value: string): string => value.slice(0, 256) || 'unknown';

export const executionObserver: ExecutionObserver = {
  modelTurn: ({ tenantId, model, inputTokens, outputTokens }) => {
    const single = metrics.singleMetric();
    single.addDimensions({ tenantId: dimension(tenantId), model: dimension(model) });
    single.addMetric('ModelTokens', MetricUnit.Count, inputTokens + outputTokens);
  },
  finished: async (execution) => {
    const single = metrics.singleMetric();
    single.addDimensions({ tenantId: dimension(execution.tenantId), model: dimension(execution.model), status: execution.status });
    single.addMetric('ExecutionsFinished', MetricUnit.Count, 1);
    await publishEvents([
      {
        source: 'agents',
        detailType: 'Execution Finished',
        detail: {
          tenantId: execution.tenantId,
          executionId: execution.executionId,
          agentId: execution.agentId,
          model: execution.model,
          status: execution.status,
          inputTokens: execution.inputTokens,
          outputTokens: execution.outputTokens,
          stepCount: execution.stepCount,
          // The error's type and message only: no prompt, tool input or output.
          ...(execution.error && { error: { type: execution.error.type, message: execution.error.message } }),
        },
      },
    ]);
  },
};
