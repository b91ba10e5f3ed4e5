/**
 * The local runtime's stand-in for EventBridge schedules: every manifest function with a `schedule` is
 * invoked every N minutes (the operator setting's value from the environment, else the manifest's default)
 * with the event EventBridge sends (`Scheduled Event` from `aws.events`). An invocation still running when the
 * next is due is not doubled up: the tick is skipped (a Lambda would run concurrently; the handlers guard
 * against that with their own leases, and on a laptop overlapping polls only waste work). `stop()` clears
 * the timers and waits for the invocations in flight, at most `graceMs`.
 */
import { randomUUID } from 'node:crypto';
import type { FunctionSpec } from '#shared/manifest.types.ts';
import { settings as settingShapes } from '#shared/resources.ts';
import { ACCOUNT_ID, type LocalLambdas } from './lambda.ts';

export interface LocalScheduler {
  /** The scheduled functions and their interval in minutes. */
  schedules: Array<{ name: string; minutes: number }>;
  stop: (graceMs: number) => Promise<void>;
}

/** The interval: the setting's environment value (fractions allowed locally, for quick loops), else the default. */
export const localMinutes = (spec: FunctionSpec, environment: NodeJS.ProcessEnv): number => {
  const schedule = spec.schedule!;
  const raw = schedule.setting ? environment[settingShapes[schedule.setting].env] : undefined;
  const value = raw === undefined || raw === '' ? schedule.everyMinutes : Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${schedule.setting ? settingShapes[schedule.setting].env : spec.name}: expected minutes > 0, got ${raw}`);
  return value;
};

export const scheduledEvent = (ruleName: string, region: string) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT_ID,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region,
  resources: [`arn:aws:events:${region}:${ACCOUNT_ID}:rule/${ruleName}`],
  detail: {},
});

export const startLocalScheduler = (options: {
  functions: FunctionSpec[];
  lambdas: LocalLambdas;
  region: string;
  stage: string;
  environment: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): LocalScheduler => {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  const schedules: Array<{ name: string; minutes: number }> = [];
  let stopped = false;
  for (const spec of options.functions.filter((f) => f.schedule)) {
    const minutes = localMinutes(spec, options.environment);
    schedules.push({ name: spec.name, minutes });
    let busy = false;
    const tick = () => {
      if (busy || stopped) return;
      busy = true;
      const run = options.lambdas
        .invoke(spec, scheduledEvent(`mls-${options.stage}-${spec.name}`, options.region))
        .catch((error: unknown) => options.log(`! scheduled ${spec.name} failed: ${(error as Error)?.message ?? String(error)}`))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    };
    const timer = setInterval(tick, minutes * 60_000);
    timer.unref();
    timers.push(timer);
  }
  return {
    schedules,
    stop: async (graceMs) => {
      stopped = true;
      for (const t of timers) clearInterval(t);
      if (running.size === 0) return;
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    },
  };
};
