/**
 * Failures a tool reports on purpose. The runner turns each into an error result the model reads
 * (`{ type, message }`), so messages are written for the model: say what was wrong and what to do instead.
 * Names are string literals so that a minifying bundler cannot rename them.
 */

export type ToolErrorType =
  | 'unknown_tool'
  | 'invalid_arguments'
  | 'approval_required'
  | 'rejected'
  | 'disabled'
  | 'refused'
  | 'not_found'
  | 'too_large'
  | 'upstream_error'
  | 'timeout'
  | 'aborted'
  | 'invalid_output'
  | 'tool_failed';

export class ToolError extends Error {
  override readonly name: string = 'ToolError';
  readonly type: ToolErrorType;

  constructor(type: ToolErrorType, message: string, options?: ErrorOptions) {
    super(message, options);
    this.type = type;
  }
}

/** Arguments that passed the schema but still make no sense (an expression that does not parse, say). */
export class ToolInputError extends ToolError {
  override readonly name = 'ToolInputError';
  constructor(message: string, options?: ErrorOptions) {
    super('invalid_arguments', message, options);
  }
}

/** The tool is switched off by configuration. */
export class ToolDisabledError extends ToolError {
  override readonly name = 'ToolDisabledError';
  constructor(message: string) {
    super('disabled', message);
  }
}

/** A policy said no: a host not on the allow-list, a private address, a path outside the tenant's files. */
export class ToolRefusedError extends ToolError {
  override readonly name = 'ToolRefusedError';
  constructor(message: string) {
    super('refused', message);
  }
}

export class ToolNotFoundError extends ToolError {
  override readonly name = 'ToolNotFoundError';
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ToolTooLargeError extends ToolError {
  override readonly name = 'ToolTooLargeError';
  constructor(message: string) {
    super('too_large', message);
  }
}

/** A human rejected a call to a tool that needs approval. */
export class ToolRejectedError extends ToolError {
  override readonly name = 'ToolRejectedError';
  constructor(message: string) {
    super('rejected', message);
  }
}
