/**
 * Model call failures, normalised across providers. The Step Functions state machine owns retries and
 * matches these by name in its `Retry`/`Catch` (`ErrorEquals: ["ModelThrottledError", ...]`): the Lambda
 * runtime reports `error.name` as the error type. Names are string literals rather than `new.target.name`
 * so that a minifying bundler cannot rename them out from under the state machine.
 */

import type { ModelProviderName } from './model.types.ts';

export abstract class ModelError extends Error {
  abstract readonly retryable: boolean;
  readonly provider: ModelProviderName;
  /** HTTP status the provider answered with, when there was one. */
  readonly status: number | undefined;

  constructor(provider: ModelProviderName, message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.provider = provider;
    this.status = status;
  }
}

/** 429, or the provider's in-stream rate-limit error. Retry after `retryAfterSeconds` when known. */
export class ModelThrottledError extends ModelError {
  override readonly name = 'ModelThrottledError';
  readonly retryable = true;
  readonly retryAfterSeconds: number | undefined;

  constructor(provider: ModelProviderName, message: string, retryAfterSeconds: number | undefined, status?: number, options?: ErrorOptions) {
    // The state machine sees only the name and message of a task's error, so the hint travels in both.
    const hint = retryAfterSeconds === undefined ? '' : ` (retry after ${retryAfterSeconds} s)`;
    super(provider, `${message}${hint}`, status, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** No complete answer within the deadline (or the caller aborted): nothing to keep, try again. */
export class ModelTimeoutError extends ModelError {
  override readonly name = 'ModelTimeoutError';
  readonly retryable = true;
}

/**
 * The answer was still streaming when the call's time ran out: it is longer than the time allows, so another
 * try would be cut off at the same point and paid again. Not retried; the agent's `maxTokens` (or the length it
 * asks for) has to come down.
 */
export class ModelOutputTooLongError extends ModelError {
  override readonly name = 'ModelOutputTooLongError';
  readonly retryable = false;
}

/** 5xx, overload, a dropped connection or a stream broken mid-way: transient on the provider's side. */
export class ModelUnavailableError extends ModelError {
  override readonly name = 'ModelUnavailableError';
  readonly retryable = true;
}

/** 4xx other than 429 (bad request, auth, unknown model, context too long): retrying cannot help. */
export class ModelRequestError extends ModelError {
  override readonly name = 'ModelRequestError';
  readonly retryable = false;
}
