/**
 * Gateway overhead: GET /v1/me through the embedded local runtime (authorizer + proxy event + middy stack)
 * against a bare node:http server answering the same JSON, both measured here, in this run, on this
 * machine. Only the ratio means anything; absolute numbers move with the machine's load.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { startBenchRuntime } from './bench-runtime.ts';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function load(url: string, headers: Record<string, string>): Promise<LoadResult> {
  // Warm-up first so cold starts (module import, pool connect) are not measured.
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 1 });
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION_S });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

export async function runGatewayBench(log: (line: string) => void): Promise<void> {
  const runtime = await startBenchRuntime();
  try {
    const headers = { 'x-api-key': runtime.apiKey };
    const me = await fetch(`${runtime.restUrl}/v1/me`, { headers });
    if (me.status !== 200) throw new Error(`GET /v1/me answered ${me.status}`);
    const body = await me.text();

    const bare = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/v1/me`;
    try {
      log(`gateway: ${CONNECTIONS} connections, ${DURATION_S}s each, GET /v1/me with an API key`);
      const baseline = await load(bareUrl, headers);
      const local = await load(`${runtime.restUrl}/v1/me`, headers);
      const row = (name: string, r: LoadResult) =>
        `  ${name.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   errors ${r.errors + r.non2xx}`;
      log(row('bare node:http', baseline));
      log(row('local runtime', local));
      log(
        `  ratio (bare / runtime): throughput ${(baseline.rps / local.rps).toFixed(1)}x, p50 ${(local.p50 / Math.max(baseline.p50, 1)).toFixed(1)}x, p99 ${(local.p99 / Math.max(baseline.p99, 1)).toFixed(1)}x`,
      );
    } finally {
      bare.close();
    }
  } finally {
    await runtime.stop();
  }
}
