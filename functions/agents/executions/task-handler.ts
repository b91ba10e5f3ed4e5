/**
 * What the state machine's task handlers share: middy with the Powertools logger (execution id in every
 * line) and an abort signal that fires shortly before the Lambda's deadline, so a model or tool call is cut
 * off while the task can still record why.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from '#shared/observability.ts';

const DEADLINE_MARGIN_MS = 5_000;

export const taskHandler = <I extends { executionId?: string }, O>(useCase: (input: I, signal: AbortSignal) => Promise<O>) =>
  middy<I, O, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (input, context) => {
      logger.appendKeys({ executionId: input?.executionId });
      const remaining = context.getRemainingTimeInMillis?.() ?? 60_000;
      const signal = AbortSignal.timeout(Math.max(1_000, remaining - DEADLINE_MARGIN_MS));
      return useCase(input, signal);
    });
