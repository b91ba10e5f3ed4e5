/**
 * Gateway overhead: GET /v1/me through the embedded local runtime (authorizer + proxy event + middy stack)
 * against a bare node:http server answering the same JSON, both measured here, in this run, on this
 * machine. Only the ratio means anything; absolute numbers move with the machine's load.
 *
 * The load generator (autocannon) runs in a process of its own, as a real client would: in the same
 * process it shared one event loop with the server under test and was measured along with it.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { startBenchRuntime } from './bench-runtime.ts';
import { record } from './results.ts';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Each side is measured this many times, alternating, and the best run of each kept: noise only ever slows a run down. */
const REPEATS = Number(process.env.BENCH_GATEWAY_REPEATS ?? 3);

const autocannonCli = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

/** autocannon in a child process (`--json`): the client's CPU is not the server's. */
export async function load(url: string, headers: Record<string, string>, durationS = DURATION_S, connections = CONNECTIONS): Promise<LoadResult> {
  const args = [autocannonCli, '--json', '-c', String(connections), '-d', String(durationS)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

const best = (runs: LoadResult[]): LoadResult => runs.reduce((a, b) => (b.rps > a.rps ? b : a));

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
    const localUrl = `${runtime.restUrl}/v1/me`;
    try {
      log(`gateway: ${CONNECTIONS} connections, ${DURATION_S}s each, GET /v1/me with an API key, best of ${REPEATS} (client in its own process)`);
      // Warm-up first so cold starts (module import, pool connect) are not measured.
      await load(bareUrl, headers, 1);
      await load(localUrl, headers, 1);
      const bareRuns: LoadResult[] = [];
      const localRuns: LoadResult[] = [];
      for (let i = 0; i < REPEATS; i++) {
        bareRuns.push(await load(bareUrl, headers));
        localRuns.push(await load(localUrl, headers));
      }
      const baseline = best(bareRuns);
      const local = best(localRuns);
      const row = (name: string, r: LoadResult) =>
        `  ${name.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   errors ${r.errors + r.non2xx}`;
      log(row('bare node:http', baseline));
      log(row('local runtime', local));
      const errors = localRuns.reduce((n, r) => n + r.errors + r.non2xx, 0);
      if (errors > 0) log(`  ! ${errors} failed requests through the runtime`);
      const throughput = local.rps / baseline.rps;
      record(log, {
        figure: 'gateway GET /v1/me throughput (runtime / bare node:http, 10 connections)',
        value: Math.round(local.rps),
        unit: 'req/s',
        floor: Math.round(baseline.rps),
        ratio: throughput,
        target: '>= 0.5x',
        met: throughput >= 0.5 && errors === 0,
      });
      record(log, {
        figure: 'gateway GET /v1/me p99 latency (10 connections)',
        value: local.p99,
        unit: 'ms',
        floor: baseline.p99,
        ratio: local.p99 / Math.max(baseline.p99, 1),
        target: '<= 10 ms',
        met: local.p99 <= 10,
      });
    } finally {
      bare.close();
    }
  } finally {
    await runtime.stop();
  }
}
