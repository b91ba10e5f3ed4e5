/**
 * A Lambda timeout in an agent run, end to end: the model-call task gets 1 s (the manifest's 180 s, shortened
 * for this runtime only) and the model is still streaming when that second is up. Step Functions sees the
 * timeout (middy's early `TimeoutError`, as in AWS), MarkFailed records it, and the run ends `failed` with a
 * readable reason. Locally the handler goes
 * on after its timeout (in AWS the sandbox is frozen and may even thaw later): whatever it still tries to
 * write after the terminal event is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, startExecution, startHarness, stepsOf, type Harness } from './execution-fixtures.ts';
import { expectCleanEnd, expectFollowedExactly, follow } from './fault-fixtures.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ timeouts: { 'agent-call-model': 1 } });
});
afterAll(() => h?.stop());

describe('a model-call task that runs out of time', () => {
  it.each(['openai', 'anthropic'] as const)('%s: the run fails with a timeout reason; nothing is written after it', async (provider) => {
    h.models.reset();
    const agentId = await createAgent(h, { provider });
    let open!: () => void;
    const until = new Promise<void>((resolve) => {
      open = resolve;
    });
    // A few tokens, then the stream stalls past the task's second.
    h.models.script([{ tokens: [' still', ' thinking', ' about', ' it'], holdAfter: { events: 4, until } }]);
    const { executionId } = await startExecution(h, agentId, { text: 'think hard' });
    const follower = await follow(h, executionId);

    try {
      const { execution, events } = await expectCleanEnd(h, executionId, { status: 'failed', output: null, stepCount: 0 });
      // Whichever notices first: middy's early timeout (as in AWS), the Lambda's, or the state's TimeoutSeconds.
      expect(['TimeoutError', 'Sandbox.Timedout', 'States.Timeout']).toContain(execution.error.type);
      expect(execution.error.message).toMatch(/^A step of the execution timed out/);
      expect(await h.models.requests[0]!.ended).toBe('aborted');
      // Failed attempts may be on record (the task noticed its own deadline), all before the run ended.
      expect((await stepsOf(h, executionId)).every((s) => s.kind === 'model' && s.error !== null)).toBe(true);
      await expectFollowedExactly(follower, events);
    } finally {
      open();
      await follower.close();
    }
  });
});
