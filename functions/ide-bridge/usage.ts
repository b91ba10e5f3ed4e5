/** Tokens the model-backed IDE routes spend, per tenant and model, and the storage port that keeps them. */

export type IdeRoute = 'complete' | 'inline' | 'fix' | 'generate' | 'refactor' | 'explain';

export interface UsageRecord {
  tenantId: string;
  userId: string;
  route: IdeRoute;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
}

export interface UsageTotal {
  provider: string;
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

export interface UsageRepository {
  record(entry: UsageRecord): Promise<void>;
  /** The tenant's totals per provider and model for calls in [from, to), most tokens first. */
  totals(tenantId: string, from: Date, to: Date): Promise<UsageTotal[]>;
}
