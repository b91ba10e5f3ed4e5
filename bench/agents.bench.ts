/**
 * Agent executions, through the embedded local runtime (REST -> Step Functions interpreter -> task
 * handlers -> the real SDK -> the scripted model server):
 *
 * - Orchestration overhead: executions of a zero-latency scripted model that calls a no-op-sized tool
 *   (calculator) STEPS times and answers; steps/s and ms per step, against a plain in-process loop that
 *   makes the same PostgreSQL writes (execution, steps, messages, events) with no HTTP, no interpreter and
 *   no SDK. Same run, same database server; read the ratio. An execution's time is its own record's
 *   `finished_at - created_at` (what the run took, not when the bench noticed): the bench polls for the end
 *   every POLL_MS, and polling as fast as it could would load the very database and gateway it measures.
 * - What every deployed step does that the plain loop does not, measured in the same rounds: the model call
 *   over HTTP (the recorded requests of a run replayed through the real `openai` SDK to the scripted server)
 *   and the fan-out's subscriber lookup after each unit of work (the gsi1 query of
 *   `DynamoConnectionRepository.subscribersOf`), each timed alone in a loop and counted per execution (model
 *   requests received, lookups made); "plain loop + these" is a second floor: what is left above it is the
 *   orchestration itself (interpreter, Lambda invocations, the tasks' reads, the REST start).
 * - Token streaming: the time from the scripted server writing a token to that token being stored as an
 *   `execution.token` event (readable over REST and pushed to subscribers), p50/p99.
 */
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import pg from 'pg';
import { startBenchRuntime } from './bench-runtime.ts';
import { record } from './results.ts';
import { PgExecutionRepository } from '#functions/agents/executions/execution.repository.ts';
import { newExecutionId } from '#functions/agents/executions/execution.ts';
import { DynamoConnectionRepository } from '#functions/realtime/connection.repository.ts';
import { startScriptedModelServer } from '../test/model-server/scripted-model-server.ts';

const EXECUTIONS = Number(process.env.BENCH_AGENT_EXECUTIONS ?? 10);
const TOOL_TURNS = Number(process.env.BENCH_AGENT_TOOL_TURNS ?? 4);
const STREAM_TOKENS = Number(process.env.BENCH_AGENT_STREAM_TOKENS ?? 200);
const POLL_MS = 25;
const ROUNDS = Number(process.env.BENCH_AGENT_ROUNDS ?? 3);
/** Each per-step cost is the mean of this many calls in a row (a step's calls are sequential too). */
const COST_SAMPLES = Number(process.env.BENCH_AGENT_COST_SAMPLES ?? 100);

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

const toolResultsIn = (body: any): number => (body.messages ?? []).filter((m: any) => m.role === 'tool').length;

export async function runAgentsBench(log: (line: string) => void): Promise<void> {
  const models = await startScriptedModelServer();
  const runtime = await startBenchRuntime({ OPENAI_BASE_URL: models.openaiBaseURL, OPENAI_API_KEY: 'bench' });
  const pool = new pg.Pool({ connectionString: runtime.env.DATABASE_URL, max: 4 });
  try {
    const agentId = `agt_${randomBytes(12).toString('base64url')}`;
    const model = JSON.stringify({ provider: 'openai', name: 'bench-model' });
    await pool.query(`INSERT INTO agents (id, tenant_id, name, model, tools, max_steps) VALUES ($1, 'default', 'bench', $2, '{calculator}', 50)`, [
      agentId,
      model,
    ]);
    await pool.query(
      `INSERT INTO agent_versions (agent_id, version, name, model, tools, max_steps) VALUES ($1, 1, 'bench', $2, '{calculator}', 50)`,
      [agentId, model],
    );
    const headers = { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' };
    const run = async (): Promise<{ status: string; executionId: string }> => {
      const res = await fetch(`${runtime.restUrl}/v1/agents/${agentId}/executions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ text: 'go' }),
      });
      const { executionId } = (await res.json()) as { executionId: string };
      for (;;) {
        const e = (await (await fetch(`${runtime.restUrl}/v1/executions/${executionId}`, { headers })).json()) as { status: string };
        if (['succeeded', 'failed', 'cancelled'].includes(e.status)) return { status: e.status, executionId };
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };

    // --- orchestration overhead
    models.setDefault((request) =>
      toolResultsIn(request.body) < TOOL_TURNS ? { toolCalls: [{ name: 'calculator', arguments: { expression: '1 + 1' } }] } : { text: 'done' },
    );
    await run(); // warm-up: cold starts are not measured
    const stepsPerExecution = 2 * TOOL_TURNS + 1;
    // The fan-out's subscriber lookups the runtime's tasks make, counted where they happen: the handlers run in
    // this process and share this module (and so this prototype) with the bench.
    let lookups = 0;
    let countingLookups = false;
    const subscribersOf = DynamoConnectionRepository.prototype.subscribersOf;
    DynamoConnectionRepository.prototype.subscribersOf = function (this: DynamoConnectionRepository, ...args) {
      if (countingLookups) lookups++;
      return subscribersOf.apply(this, args);
    };
    let modelCalls = 0;
    const runtimeRound = async (): Promise<number> => {
      const measured: string[] = [];
      const requestsBefore = models.requests.length;
      countingLookups = true;
      try {
        for (let i = 0; i < EXECUTIONS; i++) {
          const r = await run();
          if (r.status !== 'succeeded') throw new Error(`bench execution ${r.executionId} ended ${r.status}`);
          measured.push(r.executionId);
        }
      } finally {
        countingLookups = false;
      }
      modelCalls += models.requests.length - requestsBefore;
      const { rows: spans } = await pool.query<{ ms: number }>(
        `SELECT sum(extract(epoch FROM finished_at - created_at) * 1000)::float8 AS ms FROM executions WHERE id = ANY($1)`,
        [measured],
      );
      return spans[0]!.ms;
    };

    // The same writes, in process: no gateway, interpreter, Lambda shim, SDK or model HTTP.
    const repo = new PgExecutionRepository(pool);
    const plainRound = async (): Promise<number> => {
      const started = performance.now();
      for (let i = 0; i < EXECUTIONS; i++) {
        const { execution } = await repo.create({
          id: newExecutionId(),
          tenantId: 'default',
          agentId,
          agentVersion: 1,
          input: { text: 'go' },
          createdBy: 'bench',
          idempotencyKey: undefined,
        });
        // The units of work the tasks make: each record with its events, in one transaction holding the row.
        await repo.whileActive('default', execution.id, async (w) => {
          await w.markRunning();
          await w.emit([{ kind: 'execution.started', data: {} }]);
        });
        for (let turn = 0; turn <= TOOL_TURNS; turn++) {
          const last = turn === TOOL_TURNS;
          const callId = `call_${turn}`;
          const step = {
            provider: 'openai',
            model: 'bench-model',
            input: {},
            output: { text: '' },
            error: null,
            inputTokens: 10,
            outputTokens: 5,
            latencyMs: 0,
            startedAt: new Date(),
          };
          const toolSteps = last ? [] : [{ toolName: 'calculator', toolCallId: callId, input: { arguments: { expression: '1 + 1' } } }];
          const recorded = await repo.whileActive('default', execution.id, async (w) => {
            const r = await w.recordModelTurn(
              step,
              { text: '', toolCalls: last ? [] : [{ id: callId, name: 'calculator', arguments: '{}' }] },
              toolSteps,
            );
            await w.emit([{ kind: 'execution.step', data: {} }, ...toolSteps.map(() => ({ kind: 'execution.tool_call', data: {} }))]);
            if (last) {
              await w.finish('succeeded', { output: { text: 'done' } });
              await w.emit([{ kind: 'execution.succeeded', data: {} }]);
            }
            return r;
          });
          if (last || !recorded) break;
          await repo.step(execution.id, recorded.toolStepNos[0]!);
          await repo.whileActive('default', execution.id, async (w) => {
            await w.recordToolResult(
              recorded.toolStepNos[0]!,
              recorded.messageIdx + 1,
              { output: { result: 2 }, outputRef: null, error: null, latencyMs: 0, startedAt: new Date() },
              { toolCallId: callId, name: 'calculator', isError: false, text: '{"result":2}' },
            );
            await w.emit([
              { kind: 'execution.tool_result', data: {} },
              { kind: 'execution.step', data: {} },
            ]);
          });
        }
      }
      return performance.now() - started;
    };

    // What a deployed step pays that the plain loop does not, each alone, sequentially (as within a run).
    // The model call: one run's requests exactly as the tasks sent them, again through the real SDK; the
    // scripted server answers them as it did (the answer depends only on the request).
    const sdk = new OpenAI({ apiKey: 'bench', baseURL: models.openaiBaseURL, maxRetries: 0 });
    const modelCallRound = async (): Promise<number> => {
      const oneRun = models.requests.slice(-(TOOL_TURNS + 1)).map((r) => r.body as ChatCompletionCreateParamsStreaming);
      const started = performance.now();
      for (let i = 0; i < COST_SAMPLES; i++) {
        const stream = await sdk.chat.completions.create(oneRun[i % oneRun.length]!);
        for await (const _chunk of stream);
      }
      return (performance.now() - started) / COST_SAMPLES;
    };
    // The fan-out's lookup: subscribers of an execution's channel (none, as in the runs above).
    const connections = DynamoConnectionRepository.fromEnv();
    const lookupRound = async (): Promise<number> => {
      const channel = `execution:${newExecutionId()}`;
      const started = performance.now();
      for (let i = 0; i < COST_SAMPLES; i++) await connections.subscribersOf(channel);
      return (performance.now() - started) / COST_SAMPLES;
    };

    // Rounds alternate, and the fastest round of each side counts: load from elsewhere only ever slows a round.
    const runtimeRounds: number[] = [];
    const plainRounds: number[] = [];
    const modelCallRounds: number[] = [];
    const lookupRounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      runtimeRounds.push(await runtimeRound());
      plainRounds.push(await plainRound());
      modelCallRounds.push(await modelCallRound());
      lookupRounds.push(await lookupRound());
    }
    DynamoConnectionRepository.prototype.subscribersOf = subscribersOf;
    const runtimeMs = Math.min(...runtimeRounds);
    const plainMs = Math.min(...plainRounds);
    const ratio = runtimeMs / plainMs;
    const steps = EXECUTIONS * stepsPerExecution;
    const row = (name: string, ms: number) =>
      `  ${name.padEnd(34)} ${(steps / (ms / 1000)).toFixed(0).padStart(6)} steps/s   ${(ms / steps).toFixed(2).padStart(7)} ms/step`;
    log(
      `agents: ${EXECUTIONS} executions x ${stepsPerExecution} steps (${TOOL_TURNS} tool turns + answer), zero-latency model, run one after another; best of ${ROUNDS} alternating rounds`,
    );
    log(row('plain in-process loop', plainMs));
    log(row('local runtime (SFN + λ)', runtimeMs));
    log(`  ratio (runtime / plain): ${ratio.toFixed(1)}x per step`);
    record(log, {
      figure: 'agent step, Step Functions + Lambdas vs a plain loop doing the same writes',
      value: runtimeMs / steps,
      unit: 'ms/step',
      floor: plainMs / steps,
      ratio,
      target: '<= 2x',
      met: ratio <= 2,
    });

    // Second floor: the plain loop plus what every deployed step also pays (per execution, as counted above).
    const modelCallMs = Math.min(...modelCallRounds);
    const lookupMs = Math.min(...lookupRounds);
    const runs = ROUNDS * EXECUTIONS;
    const modelCallsPerRun = modelCalls / runs;
    const lookupsPerRun = lookups / runs;
    const perStepExtra = (modelCallsPerRun * modelCallMs + lookupsPerRun * lookupMs) / stepsPerExecution;
    const floorMs = plainMs + perStepExtra * steps;
    const floorRatio = runtimeMs / floorMs;
    log(`  per execution, what the plain loop does not do (each timed alone, ${COST_SAMPLES} in a row, best of ${ROUNDS}):`);
    log(
      `    model call over HTTP (openai SDK -> scripted server, streamed)  ${modelCallMs.toFixed(2).padStart(6)} ms x ${modelCallsPerRun.toFixed(1)} = ${(modelCallMs * modelCallsPerRun).toFixed(1)} ms`,
    );
    log(
      `    fan-out subscriber lookup (DynamoDB gsi1 query)                ${lookupMs.toFixed(2).padStart(6)} ms x ${lookupsPerRun.toFixed(1)} = ${(lookupMs * lookupsPerRun).toFixed(1)} ms`,
    );
    log(row('plain loop + these per-step costs', floorMs));
    log(
      `  ratio (runtime / plain + these): ${floorRatio.toFixed(1)}x per step; left above it: ${((runtimeMs - floorMs) / steps).toFixed(2)} ms/step (interpreter, Lambda invocations, the tasks' reads, REST start)`,
    );
    record(log, {
      figure: 'agent step, Step Functions + Lambdas vs the plain loop plus a model call over HTTP and the fan-out lookups',
      value: runtimeMs / steps,
      unit: 'ms/step',
      floor: floorMs / steps,
      ratio: floorRatio,
      target: '<= 2x',
      met: floorRatio <= 2,
    });

    // --- token streaming
    models.reset();
    const tokens = Array.from({ length: STREAM_TOKENS }, (_, i) => ` t${i}`);
    models.script([{ tokens, tokenDelayMs: 2 }]);
    const { executionId } = await run();
    const sent = [...models.tokensSent];
    const { rows } = await pool.query<{ at: Date; text: string }>(
      `SELECT at, data->>'text' AS text FROM channel_events WHERE channel = $1 AND kind = 'execution.token' ORDER BY seq`,
      [`execution:${executionId}`],
    );
    const latencies: number[] = [];
    let covered = 0;
    let eventIndex = 0;
    let eventEnd = rows[0]?.text.length ?? 0;
    for (const token of sent) {
      covered += token.text.length;
      while (eventEnd < covered && eventIndex < rows.length - 1) eventEnd += rows[++eventIndex]!.text.length;
      latencies.push(rows[eventIndex]!.at.getTime() - token.sentAt);
    }
    log(
      `  token streaming: ${sent.length} tokens (2 ms apart) in ${rows.length} execution.token events; token sent -> stored event p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (first token of a call at once, then every ${process.env.TOKEN_BATCH_MS ?? 40} ms or ${process.env.TOKEN_BATCH_CHARS ?? 200} chars)`,
    );
  } finally {
    await pool.end();
    await runtime.stop();
    await models.close();
  }
}
