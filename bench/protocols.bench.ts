/**
 * The MCP endpoint against REST, through the embedded local runtime, both measured here in this run:
 *
 * - `tools/list` against `GET /v1/tools` (the REST catalog), and a cheap `tools/call` (`get_agent`) against
 *   `GET /v1/agents/{id}`: same authorizer, same HTTP stack, same use case; what differs is the MCP layer
 *   (the SDK's classification, a server per request, JSON-RPC framing). The MCP requests are the exact bytes
 *   the official client SDK sends (recorded once, then replayed under load), for both protocol revisions.
 * - `mls mcp-bridge`: sequential `tools/call get_agent` latency through the bridge process (stdio, as an MCP
 *   client drives it) against the same calls from the SDK's HTTP client straight to /v1/mcp.
 *
 * Read the ratios; absolute numbers move with the machine's load.
 */
import path from 'node:path';
import { Client, StreamableHTTPClientTransport, type FetchLike } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import autocannon from 'autocannon';
import { startBenchRuntime } from './bench-runtime.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BRIDGE_CALLS = Number(process.env.BENCH_BRIDGE_CALLS ?? 200);

interface Load {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

interface Recorded {
  method: string;
  headers: Record<string, string>;
  body: string;
}

const load = async (url: string, request: { method?: string; headers: Record<string, string>; body?: string }): Promise<Load> => {
  const options = {
    url,
    connections: CONNECTIONS,
    method: (request.method ?? 'GET') as 'GET' | 'POST',
    headers: request.headers,
    body: request.body,
  };
  // Warm-up first so cold starts (module import, pool connect) are not measured.
  await autocannon({ ...options, duration: 1 });
  const r = await autocannon({ ...options, duration: DURATION_S });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failures: r.errors + r.non2xx };
};

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** Connects an SDK client whose fetch keeps a copy of every JSON-RPC request it sends, by method. */
const recordingClient = async (endpoint: string, apiKey: string, mode: 'legacy' | { pin: string }) => {
  const recorded = new Map<string, Recorded>();
  const fetchAndRecord: FetchLike = async (url, init) => {
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const method = (JSON.parse(init.body) as { method?: string }).method;
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      if (method) recorded.set(method, { method: 'POST', headers, body: init.body });
    }
    return fetch(url, init);
  };
  const client = new Client({ name: 'mls-bench', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(endpoint), { fetch: fetchAndRecord, requestInit: { headers: { 'x-api-key': apiKey } } }),
  );
  return { client, recorded };
};

const row = (name: string, r: Load) =>
  `  ${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   failures ${r.failures}`;

export async function runProtocolsBench(log: (line: string) => void): Promise<void> {
  const runtime = await startBenchRuntime();
  try {
    const apiKey = runtime.apiKey;
    const created = await fetch(`${runtime.restUrl}/v1/agents`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', model: { provider: 'openai', name: 'bench-model' } }),
    });
    if (created.status !== 201) throw new Error(`POST /v1/agents answered ${created.status}`);
    const { agentId } = (await created.json()) as { agentId: string };
    const endpoint = `${runtime.restUrl}/v1/mcp`;

    log(`protocols: ${CONNECTIONS} connections, ${DURATION_S}s each, API key auth`);
    const rest = {
      catalog: await load(`${runtime.restUrl}/v1/tools`, { headers: { 'x-api-key': apiKey } }),
      agent: await load(`${runtime.restUrl}/v1/agents/${agentId}`, { headers: { 'x-api-key': apiKey } }),
    };
    log(row('REST GET /v1/tools', rest.catalog));
    log(row('REST GET /v1/agents/{id}', rest.agent));
    for (const [revision, mode] of [
      ['2025-11-25', 'legacy'],
      ['2026-07-28', { pin: '2026-07-28' }],
    ] as const) {
      const { client, recorded } = await recordingClient(endpoint, apiKey, mode);
      await client.listTools();
      await client.callTool({ name: 'get_agent', arguments: { agentId } });
      await client.close();
      const list = recorded.get('tools/list');
      const call = recorded.get('tools/call');
      if (!list || !call) throw new Error('the SDK client sent no tools/list or tools/call');
      const mcpList = await load(endpoint, list);
      const mcpCall = await load(endpoint, call);
      log(row(`MCP ${revision} tools/list`, mcpList));
      log(row(`MCP ${revision} tools/call get_agent`, mcpCall));
      log(
        `  ratio MCP ${revision} / REST: tools/list p50 ${(mcpList.p50 / Math.max(rest.catalog.p50, 1)).toFixed(1)}x, throughput ${(rest.catalog.rps / mcpList.rps).toFixed(1)}x; ` +
          `get_agent p50 ${(mcpCall.p50 / Math.max(rest.agent.p50, 1)).toFixed(1)}x, throughput ${(rest.agent.rps / mcpCall.rps).toFixed(1)}x`,
      );
    }

    // --- bridge overhead: the same sequential calls, stdio through the bridge vs HTTP straight to /v1/mcp
    const timed = async (client: Client): Promise<number[]> => {
      for (let i = 0; i < 10; i++) await client.callTool({ name: 'get_agent', arguments: { agentId } });
      const times: number[] = [];
      for (let i = 0; i < BRIDGE_CALLS; i++) {
        const started = performance.now();
        await client.callTool({ name: 'get_agent', arguments: { agentId } });
        times.push(performance.now() - started);
      }
      return times;
    };
    const direct = new Client({ name: 'mls-bench', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await direct.connect(new StreamableHTTPClientTransport(new URL(endpoint), { requestInit: { headers: { 'x-api-key': apiKey } } }));
    const directTimes = await timed(direct);
    await direct.close();
    const bridged = new Client({ name: 'mls-bench', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const mls = path.resolve(import.meta.dirname, '../cli/mls.ts');
    await bridged.connect(
      new StdioClientTransport({ command: process.execPath, args: [mls, 'mcp-bridge', '--url', runtime.restUrl, '--key', apiKey], stderr: 'ignore' }),
    );
    const bridgedTimes = await timed(bridged);
    await bridged.close();
    const fmt = (times: number[]) => `p50 ${percentile(times, 50).toFixed(1)} ms   p99 ${percentile(times, 99).toFixed(1)} ms`;
    log(`  ${BRIDGE_CALLS} sequential tools/call get_agent (2026-07-28):`);
    log(`  ${'direct HTTP client'.padEnd(34)} ${fmt(directTimes)}`);
    log(`  ${'through mls mcp-bridge (stdio)'.padEnd(34)} ${fmt(bridgedTimes)}`);
    log(
      `  ratio bridge / direct: p50 ${(percentile(bridgedTimes, 50) / percentile(directTimes, 50)).toFixed(2)}x, ` +
        `added p50 ${(percentile(bridgedTimes, 50) - percentile(directTimes, 50)).toFixed(1)} ms`,
    );
  } finally {
    await runtime.stop();
  }
}
