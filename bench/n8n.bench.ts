/**
 * n8n sync: 10,000 executions from the scripted n8n API (test/n8n-monitor/support), synced through the local
 * runtime's `POST /v1/n8n/instances/{id}/sync` (n8n client -> PostgreSQL upserts -> events), first sync and
 * an incremental one after 100 new executions. Requests made are compared with the fewest n8n's API allows
 * (pages of at most 250, plus one workflow page); time is compared with a baseline measured in this run: the
 * same pages walked by the bare n8n client with nothing stored. Only the ratios mean anything.
 */
import { createN8nClient } from '#functions/n8n-monitor/n8n/n8n-api.adapter.ts';
import { startScriptedN8n } from '../test/n8n-monitor/support/scripted-n8n.ts';
import { startBenchRuntime } from './bench-runtime.ts';

const TOTAL = Number(process.env.BENCH_N8N_EXECUTIONS ?? 10_000);
const NEW = 100;
const PAGE = 250;

export const runN8nBench = async (log: (line: string) => void): Promise<void> => {
  const n8n = await startScriptedN8n();
  const wf = n8n.addWorkflow({ name: 'bench' });
  n8n.addExecutions(wf.id, TOTAL);
  const runtime = await startBenchRuntime({ N8N_ALLOW_PRIVATE_NETWORKS: 'true' });
  try {
    const headers = { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' };
    const created = await fetch(`${runtime.restUrl}/v1/n8n/instances`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'bench', baseUrl: n8n.url, apiKey: n8n.apiKey }),
    }).then((r) => r.json() as Promise<{ instanceId: string }>);

    // Baseline: the bare client walking every page, nothing stored.
    const client = createN8nClient({ policy: { allowPrivateNetworks: true } })({ baseUrl: n8n.url, apiKey: n8n.apiKey });
    const started = performance.now();
    let cursor: string | undefined;
    do {
      cursor = (await client.listExecutions({ limit: PAGE, cursor })).nextCursor ?? undefined;
    } while (cursor);
    const baselineMs = performance.now() - started;

    const syncOnce = async () => {
      const before = n8n.requests.length;
      const t0 = performance.now();
      const res = await fetch(`${runtime.restUrl}/v1/n8n/instances/${created.instanceId}/sync`, { method: 'POST', headers });
      const body = (await res.json()) as { outcome: string; newExecutions: number };
      return { ms: performance.now() - t0, requests: n8n.requests.length - before, ...body };
    };

    const first = await syncOnce();
    const firstMin = Math.ceil(TOTAL / PAGE) + 1;
    n8n.addExecutions(wf.id, NEW);
    const incremental = await syncOnce();
    const incrementalMin = Math.ceil(NEW / PAGE) + 1;
    const repeat = await syncOnce();

    log(`baseline: bare client walk of ${TOTAL} executions (${Math.ceil(TOTAL / PAGE)} pages): ${baselineMs.toFixed(0)} ms`);
    log(
      `first sync:       ${first.newExecutions} new, ${first.outcome}, ${first.ms.toFixed(0)} ms (${(first.ms / baselineMs).toFixed(2)}x baseline), ` +
        `${first.requests} requests (minimum ${firstMin}, ${(first.requests / firstMin).toFixed(2)}x)`,
    );
    log(
      `incremental sync: ${incremental.newExecutions} new, ${incremental.ms.toFixed(0)} ms (${(incremental.ms / baselineMs).toFixed(3)}x baseline), ` +
        `${incremental.requests} requests (minimum ${incrementalMin}, ${(incremental.requests / incrementalMin).toFixed(2)}x)`,
    );
    log(`nothing new:      ${repeat.newExecutions} new, ${repeat.ms.toFixed(0)} ms, ${repeat.requests} requests (minimum 2)`);
  } finally {
    await runtime.stop();
    await n8n.close();
  }
};
