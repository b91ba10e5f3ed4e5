/** An agent's figures over a window, as storage computes them, and the port the analytics use case reads through. */
export interface AnalyticsRow {
  totals: { runs: number; succeeded: number; failed: number; cancelled: number; inProgress: number; p50: number | null; p95: number | null };
  tokens: Array<{ provider: string | null; model: string | null; calls: number; inputTokens: number; outputTokens: number }>;
  tools: Array<{ toolName: string; calls: number; errors: number }>;
  errors: Array<{ message: string; count: number }>;
}

/** The storage port of analytics (PostgreSQL in analytics.repository.ts). */
export interface AnalyticsRepository {
  forAgent(tenantId: string, agentId: string, from: Date, to: Date): Promise<AnalyticsRow>;
}
