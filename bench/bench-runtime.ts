/** The local runtime as every benchmark starts it: throwaway data, free ports, quiet handlers. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '#local/runtime.ts';

// Benchmarks measure the request path, not the per-tenant limit: the limiter still makes its DynamoDB
// call on every request, but a load test must not be answered 429.
const UNLIMITED = { RATE_LIMIT_PER_MINUTE: String(1e9) };

export const startBenchRuntime = (env: Record<string, string> = {}): Promise<LocalRuntime> =>
  startLocalRuntime({ ephemeral: true, ports: { rest: 0, ws: 0 }, quiet: true, env: { ...UNLIMITED, ...env } });

const clockTicksPerSecond = (): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
};

/** utime, stime, cutime, cstime of a /proc/<pid>/stat line, and its parent (the name may hold spaces: read after its `)`). */
const procTimes = (stat: string): { ppid: number; own: number; reaped: number } => {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
};

/**
 * CPU time (ms, user + system) the runtime's embedded PostgreSQL has used so far: its postmaster, the live
 * backends and the backends it has reaped. Benches read it before and after a run to split a request's CPU
 * between their own process (handlers, gateways, the DynamoDB emulator) and the database. Linux only (/proc);
 * undefined elsewhere, or when the runtime did not start PostgreSQL itself.
 */
export function postgresCpuMs(runtime: LocalRuntime): (() => number) | undefined {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(runtime.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    readFileSync(`/proc/${postmaster}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const hz = clockTicksPerSecond();
  return () => {
    let ticks = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const t = procTimes(stat);
      if (Number(pid) === postmaster) ticks += t.own + t.reaped;
      else if (t.ppid === postmaster) ticks += t.own;
    }
    return (ticks * 1000) / hz;
  };
}
