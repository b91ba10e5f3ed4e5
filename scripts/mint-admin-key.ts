/**
 * Mints an admin API key in a deployed stack's default tenant and prints it once.
 *
 *   npm run mint-admin-key -- [--stage dev] [--name ops] [--stack mls-dev] [--json]
 *
 * Finds the mint function through the stack's `MintAdminKeyFunctionName` output and invokes it with the
 * caller's AWS credentials (standard AWS_PROFILE / AWS_REGION / AWS_ENDPOINT_URL, so LocalStack works too).
 * The key is shown only here: the database keeps its sha256 hash.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

const OUTPUT_KEY = 'MintAdminKeyFunctionName';

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'dev' },
    stack: { type: 'string' },
    name: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('Usage: npm run mint-admin-key -- [--stage dev] [--stack mls-<stage>] [--name <key name>] [--json]');
  process.exit(0);
}

const fail = (message: string): never => {
  console.error(`mint-admin-key: ${message}`);
  process.exit(1);
};

const stackName = values.stack ?? `mls-${values.stage}`;

const findFunctionName = async (): Promise<string> => {
  const cloudFormation = new CloudFormationClient({});
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const output = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === OUTPUT_KEY)?.OutputValue;
  return output ?? fail(`stack ${stackName} has no ${OUTPUT_KEY} output (is it deployed from this version?)`);
};

const main = async (): Promise<void> => {
  const functionName = await findFunctionName();
  const lambda = new LambdaClient({});
  const payload = values.name ? { name: values.name } : {};
  const result = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  const body = result.Payload ? new TextDecoder().decode(result.Payload) : '';
  if (result.FunctionError) fail(`${functionName} failed: ${body}`);
  const minted = JSON.parse(body) as { keyId: string; apiKey: string; tenantId: string };
  if (values.json) {
    console.log(JSON.stringify(minted));
    return;
  }
  console.log(`Admin API key for tenant "${minted.tenantId}" (id ${minted.keyId}) — shown once, store it now:`);
  console.log(minted.apiKey);
  console.log('Use it as `x-api-key: <key>` or `Authorization: Bearer <key>`.');
};

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
