/**
 * Gateway overhead: GET /v1/me through the embedded local runtime (authorizer + proxy event + middy stack)
 * against a bare node:http server answering the same JSON, both measured here, in this run, on this
 * machine. Only the ratio means anything; absolute numbers move with the machine's load.
 *
 * The load generator (autocannon) runs in a process of its own, as a real client would: in the same
 * process it shared one event loop with the server under test and was measured along with it.
 *
 * A third row is the ceiling of the local gateway: the authorizer and get-me handlers called directly in
 * this process (no HTTP, no routing, no local gateway), with the very events the local gateway built for a
 * real request, by 10 concurrent callers against the same PostgreSQL and DynamoDB. API Gateway runs both
 * Lambdas too, so what separates that row from bare node:http is not the local gateway's to remove. Below it,
 * the same split further: one caller at a time (a request's own latency), each handler alone, the
 * authorizer's API-key query alone and a bare PostgreSQL round trip. Each row also gives the CPU per request
 * of this process (the handlers, the gateway and DynamoDB's emulator run here; not the load generator's) and
 * of PostgreSQL's processes.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult } from 'aws-lambda';
import { LocalLambdas } from '#local/lambda.ts';
import { getPool } from '#shared/db.ts';
import type { FunctionSpec } from '#shared/manifest.types.ts';
import { sha256Hex } from '#functions/platform/api-key.ts';
import { PgApiKeyRepository } from '#functions/platform/api-key.repository.ts';
import { postgresCpuMs, startBenchRuntime } from './bench-runtime.ts';
import { record } from './results.ts';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests?: number;
  /** CPU of this process (user + system) per request, ms: the server side for bare and runtime, everything for direct calls. */
  cpuMs?: number;
  /** CPU of the runtime's PostgreSQL per request, ms, where it can be read (bench-runtime.ts postgresCpuMs). */
  pgCpuMs?: number;
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
  const cpu = process.cpuUsage();
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const used = process.cpuUsage(cpu);
  const r = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  const cpuMs = (used.user + used.system) / 1000 / Math.max(r.requests.total, 1);
  return { rps: r.requests.average, requests: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, cpuMs };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/**
 * `callers` concurrent loops calling `call` for `durationS` in this process, as autocannon's connections
 * do over HTTP: the same figures (req/s, p50, p99 in ms), no sockets. `call` answers false for a failure.
 */
export async function drive(call: () => Promise<boolean>, durationS = DURATION_S, callers = CONNECTIONS): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + durationS * 1000;
  const caller = async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      const ok = await call().catch(() => false);
      latencies.push(performance.now() - t);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const elapsedS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsedS,
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    non2xx: 0,
    cpuMs: (used.user + used.system) / 1000 / Math.max(latencies.length, 1),
  };
}

interface Invocation {
  lambdas: LocalLambdas;
  spec: FunctionSpec;
  /** A copy of the event as the handler received it. */
  event: unknown;
}

/**
 * The Lambda invocations `request` causes, with their events exactly as the local gateway built them: the
 * runtime's Lambda service is watched (its `invoke`, for the length of `request`), not re-implemented.
 */
async function invocationsOf(request: () => Promise<void>): Promise<Invocation[]> {
  const seen: Invocation[] = [];
  const invoke = LocalLambdas.prototype.invoke;
  LocalLambdas.prototype.invoke = function (this: LocalLambdas, spec: FunctionSpec, event: unknown, options?: { timeoutMs?: number }) {
    seen.push({ lambdas: this, spec, event: structuredClone(event) });
    return invoke.call(this, spec, event, options);
  } as typeof invoke;
  try {
    await request();
  } finally {
    LocalLambdas.prototype.invoke = invoke;
  }
  return seen;
}

/** The handler of an invocation, as the runtime loaded it (same module, warm), called as Lambda's Node.js runtime would. */
async function directCaller<T>(invocation: Invocation): Promise<(event?: unknown) => Promise<T>> {
  const { lambdas, spec } = invocation;
  const handler = await lambdas.load(spec);
  return async (event = structuredClone(invocation.event)) => {
    const context = lambdas.context(spec, Date.now() + (spec.timeoutSeconds ?? 30) * 1000);
    return (await handler(event, context)) as T;
  };
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

    // The events of one real request through the local gateway, and the two handlers it invoked.
    const invocations = await invocationsOf(async () => {
      const res = await fetch(localUrl, { headers });
      if (res.status !== 200) throw new Error(`GET /v1/me answered ${res.status}`);
      await res.arrayBuffer();
    });
    const authorizerCall = invocations.find((i) => i.spec.name === 'authorizer');
    const meCall = invocations.find((i) => i.spec.http?.some((r) => r.method === 'GET' && r.path === '/v1/me'));
    if (!authorizerCall || !meCall)
      throw new Error(`GET /v1/me invoked ${invocations.map((i) => i.spec.name).join(', ')}, not the authorizer and get-me`);
    const authorize = await directCaller<APIGatewayAuthorizerResult>(authorizerCall);
    const getMe = await directCaller<APIGatewayProxyResult>(meCall);
    const authorizerOk = async () => (await authorize()).principalId !== undefined;
    const getMeOk = async () => (await getMe()).statusCode === 200;
    // As the gateway does: the authorizer, then get-me (its event carries the authorizer's context).
    const bothOk = async () => (await authorizerOk()) && (await getMeOk());
    if (!(await bothOk())) throw new Error('the authorizer or get-me, called directly, did not answer as through the gateway');
    // What the authorizer waits on for an API key: its one query, over the handlers' own pool (same module, same pool).
    const pool = await getPool();
    const apiKeys = new PgApiKeyRepository(pool);
    const keyHash = sha256Hex(runtime.apiKey);
    const lookupOk = async () => (await apiKeys.findActiveByHash(keyHash)) !== undefined;
    const roundTripOk = async () => (await pool.query('SELECT 1')).rowCount === 1;
    if (!(await lookupOk())) throw new Error("the authorizer's API key lookup found no key");

    try {
      log(`gateway: ${CONNECTIONS} connections, ${DURATION_S}s each, GET /v1/me with an API key, best of ${REPEATS} (client in its own process)`);
      // Warm-up first so cold starts (module import, pool connect) are not measured.
      await load(bareUrl, headers, 1);
      await load(localUrl, headers, 1);
      await drive(bothOk, 1);
      const pgCpu = postgresCpuMs(runtime);
      /** `run`, with PostgreSQL's CPU over it per request. */
      const withPg = async (run: () => Promise<LoadResult>): Promise<LoadResult> => {
        const before = pgCpu?.();
        const r = await run();
        return before === undefined ? r : { ...r, pgCpuMs: (pgCpu!() - before) / Math.max(r.requests ?? 0, 1) };
      };
      const bareRuns: LoadResult[] = [];
      const localRuns: LoadResult[] = [];
      const directRuns: LoadResult[] = [];
      const serialRuns: LoadResult[] = [];
      const authorizerRuns: LoadResult[] = [];
      const meRuns: LoadResult[] = [];
      const lookupRuns: LoadResult[] = [];
      const roundTripRuns: LoadResult[] = [];
      for (let i = 0; i < REPEATS; i++) {
        bareRuns.push(await load(bareUrl, headers));
        localRuns.push(await withPg(() => load(localUrl, headers)));
        directRuns.push(await withPg(() => drive(bothOk)));
        serialRuns.push(await withPg(() => drive(bothOk, DURATION_S, 1)));
        authorizerRuns.push(await withPg(() => drive(authorizerOk)));
        meRuns.push(await withPg(() => drive(getMeOk)));
        lookupRuns.push(await withPg(() => drive(lookupOk)));
        roundTripRuns.push(await withPg(() => drive(roundTripOk)));
      }
      const baseline = best(bareRuns);
      const local = best(localRuns);
      const direct = best(directRuns);
      const ms = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1)).padStart(5);
      const row = (name: string, r: LoadResult) =>
        `  ${name.padEnd(40)} ${r.rps.toFixed(0).padStart(8)} req/s (${(r.rps / baseline.rps).toFixed(2)}x)   p50 ${ms(r.p50)} ms   p99 ${ms(r.p99)} ms   CPU ${(r.cpuMs ?? 0).toFixed(2)}${r.pgCpuMs === undefined ? '' : ` + PostgreSQL ${r.pgCpuMs.toFixed(2)}`} ms/req   errors ${r.errors + r.non2xx}`;
      log(row('bare node:http', baseline));
      log(row('local runtime', local));
      log(row('the two Lambda handlers alone', direct));
      // One request at a time: a request's own latency, as in Lambda, where concurrent requests get their own containers.
      log(row('  the same, 1 caller', best(serialRuns)));
      log(row('  the authorizer handler alone', best(authorizerRuns)));
      log(row('  the get-me handler alone', best(meRuns)));
      log(row("  the authorizer's API-key query alone", best(lookupRuns)));
      log(row('  PostgreSQL round trip (SELECT 1)', best(roundTripRuns)));
      log(
        `  (handlers: called directly in this process with the events the local gateway built, ${CONNECTIONS} concurrent callers; CPU: this process (the load generator's own is not counted), then PostgreSQL's processes)`,
      );
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
      // The gateway's ceiling: if the handlers alone miss the target, no local gateway can meet it.
      const directErrors = directRuns.reduce((n, r) => n + r.errors, 0);
      const ceiling = direct.rps / baseline.rps;
      record(log, {
        figure: 'gateway GET /v1/me ceiling: the authorizer + get-me handlers alone, no HTTP (direct / bare node:http, 10 callers)',
        value: Math.round(direct.rps),
        unit: 'req/s',
        floor: Math.round(baseline.rps),
        ratio: ceiling,
        target: '>= 0.5x',
        met: ceiling >= 0.5 && directErrors === 0,
      });
      record(log, {
        figure: 'gateway GET /v1/me ceiling p99: the authorizer + get-me handlers alone, no HTTP (10 callers)',
        value: Number(direct.p99.toFixed(1)),
        unit: 'ms',
        floor: baseline.p99,
        ratio: direct.p99 / Math.max(baseline.p99, 1),
        target: '<= 10 ms',
        met: direct.p99 <= 10,
      });
    } finally {
      bare.close();
    }
  } finally {
    await runtime.stop();
  }
}
