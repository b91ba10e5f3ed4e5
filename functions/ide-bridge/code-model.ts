/**
 * The model port of the IDE use cases: one chat call to a provider's model, and whether that provider is
 * configured in this deployment. The adapter (code-model.adapter.ts) goes through the agents domain's public
 * `models()`, so the IDE routes use the same provider adapters and keys as the agent loop.
 */
import type { ModelChoice } from './ide-bridge.contracts.ts';

export type ProviderName = ModelChoice['provider'];

export interface CodeModelRequest {
  model: ModelChoice;
  system: string;
  user: string;
  maxTokens: number;
  /** Whole-call deadline; the API answers within 29 s. */
  timeoutMs: number;
}

export interface CodeModelAnswer {
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  /** The model that answered, as the provider reported it. */
  model: string;
}

export interface CodeModel {
  configured(provider: ProviderName): Promise<boolean>;
  /** Failures arrive as the shared HTTP errors: 502 (provider failed), 503 (throttled), 504 (no answer in time). */
  generate(request: CodeModelRequest): Promise<CodeModelAnswer>;
}
