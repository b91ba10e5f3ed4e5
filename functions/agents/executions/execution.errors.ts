/**
 * Failures of a run that retrying cannot fix. Thrown from the task handlers, they reach the state
 * machine's Catch by name and MarkFailed stores the message as the execution's error. Names are string
 * literals so that a minifying bundler cannot rename them.
 */
export class ProviderNotConfiguredError extends Error {
  override readonly name = 'ProviderNotConfiguredError';
}

export class ExecutionContextError extends Error {
  override readonly name = 'ExecutionContextError';
}
