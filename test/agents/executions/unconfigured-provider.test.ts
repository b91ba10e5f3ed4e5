/** A provider whose key is the `unset` placeholder (and no compatible base URL) fails the run with a readable reason. */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { startScriptedModelServer } from '../../model-server/scripted-model-server.ts';
import { createAgent, startExecution, waitForExecution, type Harness } from './execution-fixtures.ts';

let h: Harness;
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ env: { OPENAI_API_KEY: 'unset', ANTHROPIC_API_KEY: 'unset' } });
  const db = new pg.Pool({ connectionString: rt.databaseUrl, max: 1 });
  h = { rt, db, models: undefined as never, admin: await rt.mintJwt({ sub: 'user-admin' }), stop: async () => undefined };
});
afterAll(async () => {
  await h?.db.end();
  await rt?.stop();
});

it('fails the execution, naming the missing key', async () => {
  const agentId = await createAgent(h, { provider: 'anthropic' });
  const { executionId } = await startExecution(h, agentId, { text: 'hi' });
  const done = await waitForExecution(h, executionId);
  expect(done).toMatchObject({ status: 'failed', error: { type: 'ProviderNotConfiguredError' }, stepCount: 0 });
  expect(done.error.message).toContain('ANTHROPIC_API_KEY');
});

it('picks up a key filled in later without a restart (as an operator does after the first deploy)', async () => {
  const models = await startScriptedModelServer();
  try {
    models.script([{ text: 'configured now' }]);
    // In AWS the operator runs put-secret-value; locally the secret is the environment variable the warm
    // handlers read on each task. The loop built for the first run had no key: the request must carry the new one.
    process.env.ANTHROPIC_API_KEY = 'sk-filled-in-later';
    process.env.ANTHROPIC_BASE_URL = models.anthropicBaseURL;
    const agentId = await createAgent(h, { provider: 'anthropic' });
    const { executionId } = await startExecution(h, agentId, { text: 'hi' });
    const done = await waitForExecution(h, executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: 'configured now' } });
    expect(models.requests[0]!.headers.authorization ?? models.requests[0]!.headers['x-api-key']).toContain('sk-filled-in-later');
  } finally {
    await models.close();
  }
});
