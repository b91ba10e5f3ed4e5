/**
 * The manual retry of the stack's own n8n setup (lib/n8n-stack.ts). Every deploy already runs it (the
 * setup-stack-n8n trigger); run this when that run logged a failure (n8n not up in time, a revoked key):
 * it sets up n8n's owner, creates the API key the monitor uses, and registers that n8n for the default tenant.
 *
 *   npm run n8n:setup -- [--stage dev] [--stack mls-<stage>] [--name "stack n8n"] [--json]
 *
 * Reads the stack's outputs (`N8nUrl`, `N8nOwnerSecretArn`, `N8nApiKeySecretArn`), signs in to n8n as the owner
 * whose generated credentials the stack keeps in Secrets Manager (setting that owner up on a fresh n8n), creates
 * an API key (`POST /rest/api-keys`) unless the stored one still works, stores it in the API key secret, and
 * invokes `mls-<stage>-register-n8n-instance`. Idempotent: run it again after a redeploy or a key revocation.
 * Uses the caller's AWS credentials (AWS_PROFILE / AWS_REGION). Prints the instance (never the key).
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerAccessStore } from '../functions/n8n-monitor/n8n/n8n-access-secrets.adapter.ts';
import { ensureAccess } from '../functions/n8n-monitor/n8n/n8n-owner.adapter.ts';

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'dev' },
    stack: { type: 'string' },
    name: { type: 'string', default: 'stack n8n' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('Usage: npm run n8n:setup -- [--stage dev] [--stack mls-<stage>] [--name "stack n8n"] [--json]');
  process.exit(0);
}

const fail = (message: string): never => {
  console.error(`n8n:setup: ${message}`);
  process.exit(1);
};

const stackName = values.stack ?? `mls-${values.stage}`;

const main = async (): Promise<void> => {
  const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackName }));
  const output = (key: string) =>
    Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue ??
    fail(`stack ${stackName} has no ${key} output (does it run n8n? see docs/n8n-monitor.md, "n8n on ECS")`);
  const url = output('N8nUrl');
  const ownerSecret = output('N8nOwnerSecretArn');
  const apiKeySecret = output('N8nApiKeySecretArn');

  const store = secretsManagerAccessStore(new SecretsManagerClient({}), ownerSecret, apiKeySecret);
  console.error(`Setting up ${url}…`);
  // From the operator's machine at n8n's public name; the operator's own stack, so no SSRF rule applies beyond metadata.
  const { apiKey } = await ensureAccess(url, store, (line) => console.error(line.trim()), {
    policy: { allowPrivateNetworks: true, alwaysRefuseLinkLocal: true },
  });

  const functionName = `${stackName}-register-n8n-instance`;
  const result = await new LambdaClient({}).send(
    new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify({ name: values.name, baseUrl: url, apiKey })) }),
  );
  const body = result.Payload ? new TextDecoder().decode(result.Payload) : '';
  if (result.FunctionError) fail(`${functionName} failed: ${body}`);
  const instance = JSON.parse(body) as { instanceId: string; name: string; baseUrl: string };
  if (values.json) console.log(JSON.stringify(instance));
  else console.log(`Registered ${instance.baseUrl} as "${instance.name}" (${instance.instanceId}) for the default tenant.`);
};

await main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
