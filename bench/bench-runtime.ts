/** The local runtime as every benchmark starts it: throwaway data, free ports, quiet handlers. */
import { startLocalRuntime, type LocalRuntime } from '#local/runtime.ts';

// Benchmarks measure the request path, not the per-tenant limit: the limiter still makes its DynamoDB
// call on every request, but a load test must not be answered 429.
const UNLIMITED = { RATE_LIMIT_PER_MINUTE: String(1e9) };

export const startBenchRuntime = (env: Record<string, string> = {}): Promise<LocalRuntime> =>
  startLocalRuntime({ ephemeral: true, ports: { rest: 0, ws: 0 }, quiet: true, env: { ...UNLIMITED, ...env } });
