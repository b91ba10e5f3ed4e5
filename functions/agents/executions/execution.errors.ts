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

/**
 * The database could not be reached, or dropped the connection, while a task worked (a restart, a failover).
 * Unlike the errors above it is worth another try: the state machine retries it with backoff. The task's
 * writes are units of work, so a retry never finds half of one stored.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
