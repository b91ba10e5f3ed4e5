/**
 * The stack's own n8n, set up and registered on every deploy (a CDK trigger runs setup-stack-n8n): its owner
 * and the monitor's API key made sure of, then the instance registered for the default tenant through the
 * same use case `register-n8n-instance` runs. Idempotent: a second run signs in (or reuses the stored key)
 * and updates the instance of that name.
 *
 * Never fails the deploy: n8n still starting is waited for (exponential backoff within a budget), and any
 * failure comes back as an outcome with its reason for the handler to log; `npm run n8n:setup` retries by hand.
 */
import { N8nOwnerError, type N8nOwnerPort } from '../n8n/n8n-owner.ts';
import type { InstancePorts, InstanceView } from './instance.service.ts';
import { registerInstance } from './instance.service.ts';

export interface StackN8nPorts extends Pick<InstancePorts, 'repo' | 'box'> {
  owner: N8nOwnerPort;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface StackN8nInput {
  tenantId: string;
  name: string;
  /** The URL the monitor polls (n8n's public name). */
  baseUrl: string;
  /** How long to keep retrying an n8n that is not reachable yet. */
  budgetMs: number;
  /** The first wait; doubled after each attempt, at most `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export type StackN8nOutcome =
  | { status: 'registered'; instance: InstanceView; steps: string[]; attempts: number }
  | { status: 'failed'; reason: string; retryable: boolean; attempts: number };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const setupStackN8n = async (ports: StackN8nPorts, input: StackN8nInput): Promise<StackN8nOutcome> => {
  const sleep = ports.sleep ?? defaultSleep;
  const now = ports.now ?? Date.now;
  const deadline = now() + input.budgetMs;
  let delay = input.firstDelayMs ?? 2_000;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      const access = await ports.owner.ensureAccess();
      const instance = await registerInstance(ports, {
        tenantId: input.tenantId,
        name: input.name,
        baseUrl: input.baseUrl,
        apiKey: access.apiKey,
        createdBy: 'deploy',
      });
      return { status: 'registered', instance, steps: access.steps, attempts };
    } catch (error) {
      // Only n8n's own answers are judged here; a database or secrets failure is not worth waiting for.
      const retryable = error instanceof N8nOwnerError && error.retryable;
      const reason = error instanceof Error ? error.message : String(error);
      const left = deadline - now();
      if (!retryable || left <= 0) return { status: 'failed', reason, retryable, attempts };
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, input.maxDelayMs ?? 30_000);
    }
  }
};
