/**
 * What an agent run tells operators (docs/operations.md): `Execution Finished` on the stage's event bus (once per
 * run, whichever way it ended: succeeded, failed or cancelled), and
 * the business figures the dashboard draws (ModelTokens, ExecutionsFinished per tenant and model), as the
 * local runtime's bus and metrics endpoint show them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchJson } from '../../support/runtime.ts';
import { auth, createAgent, eventsOf, startExecution, startHarness, waitForExecution, type Harness } from './execution-fixtures.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

const finished = async (executionId: string) => {
  const res = await fetchJson(`${h.rt.opsUrl}/events?source=mls.agents&detailType=${encodeURIComponent('Execution Finished')}`);
  return res.body.items.filter((e: { detail: { executionId: string } }) => e.detail.executionId === executionId);
};

describe('an agent run, as operations see it', () => {
  it('puts Execution Finished on the bus and counts tokens and executions per tenant and model', async () => {
    const agentId = await createAgent(h, { provider: 'openai', model: 'gpt-ops-test' });
    h.models.script([{ text: 'Done.', usage: { inputTokens: 11, outputTokens: 7 } }]);
    const { executionId } = await startExecution(h, agentId, { text: 'hi' });
    expect((await waitForExecution(h, executionId)).status).toBe('succeeded');

    expect(await finished(executionId)).toEqual([
      expect.objectContaining({
        source: 'mls.agents',
        detail: expect.objectContaining({
          tenantId: 'default',
          agentId,
          model: 'gpt-ops-test',
          status: 'succeeded',
          inputTokens: 11,
          outputTokens: 7,
        }),
      }),
    ]);
    // Nothing of the conversation rides along.
    expect(JSON.stringify(await finished(executionId))).not.toMatch(/Done\.|"hi"/);

    const metrics = (await fetchJson(`${h.rt.opsUrl}/metrics`)).body.items as Array<{
      name: string;
      dimensions: Record<string, string>;
      sum: number;
    }>;
    const tokens = metrics.find((m) => m.name === 'ModelTokens' && m.dimensions.model === 'gpt-ops-test');
    expect(tokens).toMatchObject({ dimensions: { service: expect.any(String), tenantId: 'default', model: 'gpt-ops-test' }, sum: 18 });
    const runs = metrics.find((m) => m.name === 'ExecutionsFinished' && m.dimensions.model === 'gpt-ops-test');
    expect(runs).toMatchObject({ dimensions: { tenantId: 'default', status: 'succeeded' }, sum: 1 });
  });

  it('reports a failed run with its error type, not its content', async () => {
    const agentId = await createAgent(h, { provider: 'openai', model: 'gpt-ops-fail', maxSteps: 1 });
    h.models.script([{ toolCalls: [{ id: 'c1', name: 'no_such_tool', arguments: {} }] }, { text: 'never' }]);
    const { executionId } = await startExecution(h, agentId, { text: 'loop' });
    expect((await waitForExecution(h, executionId)).status).toBe('failed');
    const [event] = await finished(executionId);
    expect(event.detail).toMatchObject({ status: 'failed', model: 'gpt-ops-fail', error: { type: expect.any(String), message: expect.any(String) } });
  });

  it('reports a cancelled run once, however often it is cancelled', async () => {
    const agentId = await createAgent(h, { provider: 'openai', model: 'gpt-ops-cancel' });
    h.models.reset();
    h.models.script([{ tokens: Array.from({ length: 40 }, (_, i) => ` w${i}`), tokenDelayMs: 50 }]);
    const { executionId } = await startExecution(h, agentId, { text: 'talk slowly' });
    await waitForExecution(h, executionId, (e) => e.status === 'running');
    for (let i = 0; i < 100 && !(await eventsOf(h, executionId)).some((e) => e.kind === 'execution.token'); i++)
      await new Promise((r) => setTimeout(r, 50));

    for (let i = 0; i < 2; i++) {
      const cancel = await h.rt.fetchJson(`/v1/executions/${executionId}/cancel`, { method: 'POST', headers: auth(h.admin) });
      expect(cancel.status).toBe(200);
    }
    await h.rt.settled();
    expect((await waitForExecution(h, executionId)).status).toBe('cancelled');

    const events = await finished(executionId);
    expect(events).toEqual([
      expect.objectContaining({
        source: 'mls.agents',
        detail: expect.objectContaining({ tenantId: 'default', agentId, executionId, model: 'gpt-ops-cancel', status: 'cancelled' }),
      }),
    ]);
    expect(events[0].detail).not.toHaveProperty('error');
    const metrics = (await fetchJson(`${h.rt.opsUrl}/metrics`)).body.items as Array<{
      name: string;
      dimensions: Record<string, string>;
      sum: number;
    }>;
    const runs = metrics.find((m) => m.name === 'ExecutionsFinished' && m.dimensions.model === 'gpt-ops-cancel');
    expect(runs).toMatchObject({ dimensions: { tenantId: 'default', status: 'cancelled' }, sum: 1 });
  });
});
