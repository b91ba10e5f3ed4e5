/**
 * Deploy hook for the stack's own n8n, run by a CDK trigger after n8n's service and load balancer exist
 * (lib/n8n-stack.ts): owner and API key made sure of (Secrets Manager), the instance `stack n8n` registered for
 * the default tenant. Reaches n8n at its load balancer's DNS name with TLS and Host naming n8n's domain, so a
 * deploy does not wait on public DNS. Always answers (a failure would roll back the whole platform): the
 * outcome carries the reason, logged as an error; `npm run n8n:setup` is the manual retry.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger } from '#shared/observability.ts';
import { DEFAULT_TENANT_ID, env } from '#shared/resources.ts';
import { credentialsBox } from '#shared/sealed-secrets.ts';
import { taskHandler } from '#shared/task.ts';
import { instanceRepository, outboundPolicy } from '../n8n-monitor.composition.ts';
import { secretsManagerAccessStore } from '../n8n/n8n-access-secrets.adapter.ts';
import { n8nOwnerAdapter } from '../n8n/n8n-owner.adapter.ts';
import { setupStackN8n, type StackN8nOutcome } from './stack-n8n.service.ts';

export const STACK_N8N_NAME = 'stack n8n';
/** Retrying an n8n that is still starting: well inside the function's 10 minutes. */
const BUDGET_SECONDS = 420;

export type SetupStackN8nResult = StackN8nOutcome | { status: 'skipped'; reason: string };

export const handler = taskHandler<unknown, SetupStackN8nResult>(async () => {
  const url = process.env[env.n8nStackUrl];
  const ownerSecret = process.env[env.n8nOwnerSecretArn];
  const apiKeySecret = process.env[env.n8nApiKeySecretArn];
  if (!url || !ownerSecret || !apiKeySecret) {
    const reason = 'this stage runs no n8n of its own (lib/n8n-stack.ts gives this function its URL and secrets when it does)';
    logger.info('stack n8n setup skipped', { reason });
    return { status: 'skipped', reason };
  }
  const endpoint = process.env[env.n8nStackEndpoint];
  let outcome: StackN8nOutcome;
  try {
    const store = secretsManagerAccessStore(new SecretsManagerClient({}), ownerSecret, apiKeySecret);
    const owner = n8nOwnerAdapter(url, store, (line) => logger.info(line.trim()), {
      policy: outboundPolicy(),
      ...(endpoint ? { resolveAs: endpoint } : {}),
    });
    outcome = await setupStackN8n(
      { owner, repo: await instanceRepository(), box: await credentialsBox() },
      { tenantId: DEFAULT_TENANT_ID, name: STACK_N8N_NAME, baseUrl: url, budgetMs: BUDGET_SECONDS * 1000 },
    );
  } catch (error) {
    // Wiring failed before any attempt (the database, the credentials key): recorded the same way.
    outcome = { status: 'failed', reason: error instanceof Error ? error.message : String(error), retryable: false, attempts: 0 };
  }
  if (outcome.status === 'registered')
    logger.info('stack n8n registered', { instanceId: outcome.instance.instanceId, baseUrl: url, steps: outcome.steps, attempts: outcome.attempts });
  else
    logger.error('stack n8n setup failed; the deploy goes on. Retry with `npm run n8n:setup -- --stage <stage>`', {
      reason: outcome.reason,
      retryable: outcome.retryable,
      attempts: outcome.attempts,
      url,
    });
  return outcome;
});
