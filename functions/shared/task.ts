/**
 * The stack of Step Functions task handlers (and other direct invocations that do work): the base middy stack
 * (Powertools logger with the run's id in every line, tracer, a success/failure count) and an abort signal
 * that fires shortly before the Lambda's deadline, so a model or tool call is cut off while the task can
 * still record why.
 */
import { baseHandler } from './observability.ts';

const DEADLINE_MARGIN_MS = 5_000;

export const taskHandler = <I, O>(
  useCase: (input: I, signal: AbortSignal) => Promise<O>,
  options: { correlationId?: (input: I) => string | undefined } = {},
) =>
  baseHandler<I, O>({ ...options, outcome: { success: 'TaskSucceeded', failure: 'TaskFailed' } }).handler(async (input, context) => {
    const remaining = context.getRemainingTimeInMillis?.() ?? 60_000;
    const signal = AbortSignal.timeout(Math.max(1_000, remaining - DEADLINE_MARGIN_MS));
    return useCase(input, signal);
  });
