/** A provider whose key is the `unset` placeholder (and no compatible base URL) fails the run with a readable reason. */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
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
