/**
 * Domain errors. Use cases throw these; `toProblem` is the one place that maps them to HTTP status and an
 * RFC 9457 problem document. Anything else becomes a generic 500 (the cause is logged, never returned).
 */
import type { z } from 'zod';

export interface FieldError {
  /** Where the bad value is: `body.name`, `query.limit`, `params.keyId`. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export class AppError extends Error {
  readonly errors?: FieldError[];
  constructor(message: string, errors?: FieldError[]) {
    super(message);
    this.name = new.target.name;
    if (errors) this.errors = errors;
  }
}

export class BadRequestError extends AppError {}
export class ValidationError extends AppError {}
export class UnauthorizedError extends AppError {}
export class ForbiddenError extends AppError {}
export class NotFoundError extends AppError {}
export class ConflictError extends AppError {}
export class PayloadTooLargeError extends AppError {}
export class UnsupportedMediaTypeError extends AppError {}
/** Well-formed and valid, but in conflict with what the request claims (e.g. a reused Idempotency-Key). */
export class UnprocessableContentError extends AppError {}
export class TooManyRequestsError extends AppError {}
/** An upstream service (a model provider) failed or answered with something unusable. */
export class BadGatewayError extends AppError {}
/** Something the request needs is not there right now (an unconfigured model provider, a busy analyzer). */
export class ServiceUnavailableError extends AppError {}
/** An upstream service did not answer in time. */
export class GatewayTimeoutError extends AppError {}

/**
 * zod's issues as field errors: `path` is the dotted path below `prefix` (`body.model.name`, `query.limit`,
 * `channel`), or `root` when the value itself is wrong. The one translation HTTP, frames and tools share.
 */
export const fieldErrorsOf = (error: z.ZodError, prefix: readonly string[] = [], root = '(root)'): FieldError[] =>
  error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map(String)].join('.') || root,
    message: issue.message,
  }));

/** The one mapping from domain error to HTTP: [class, status, problem type slug, title]. */
const mapping: ReadonlyArray<[new (...args: never[]) => AppError, number, string, string]> = [
  [ValidationError, 400, 'validation', 'Invalid request'],
  [BadRequestError, 400, 'bad-request', 'Bad request'],
  [UnauthorizedError, 401, 'unauthorized', 'Unauthorized'],
  [ForbiddenError, 403, 'forbidden', 'Forbidden'],
  [NotFoundError, 404, 'not-found', 'Not found'],
  [ConflictError, 409, 'conflict', 'Conflict'],
  [PayloadTooLargeError, 413, 'payload-too-large', 'Content too large'],
  [UnsupportedMediaTypeError, 415, 'unsupported-media-type', 'Unsupported media type'],
  [UnprocessableContentError, 422, 'unprocessable-content', 'Unprocessable content'],
  [TooManyRequestsError, 429, 'too-many-requests', 'Too many requests'],
  [BadGatewayError, 502, 'bad-gateway', 'Bad gateway'],
  [ServiceUnavailableError, 503, 'service-unavailable', 'Service unavailable'],
  [GatewayTimeoutError, 504, 'gateway-timeout', 'Gateway timeout'],
];

/** `type` URIs are relative references (RFC 9457 §3.1.1), one per kind of problem. */
export const problem = (status: number, slug: string, title: string, detail: string, errors?: FieldError[]): Problem => ({
  type: `/problems/${slug}`,
  title,
  status,
  detail,
  ...(errors && errors.length > 0 ? { errors } : {}),
});

/** Maps any thrown value to a problem; `expose` is false when the detail must stay generic (500). */
export const toProblem = (error: unknown): { problem: Problem; expose: boolean } => {
  if (error instanceof AppError) {
    for (const [cls, status, slug, title] of mapping) {
      if (error instanceof cls) return { problem: problem(status, slug, title, error.message, error.errors), expose: true };
    }
  }
  return {
    problem: problem(500, 'internal', 'Internal server error', 'An unexpected error occurred. It has been logged.'),
    expose: false,
  };
};
