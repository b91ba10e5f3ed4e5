/**
 * In-process "Lambda service" of the local runtime: loads a function's entry module once (the cold start),
 * then invokes its exported handler with a Lambda-like context, as the Node.js Lambda runtime would.
 * Handlers are the exact modules the stack bundles; nothing here changes them.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '#shared/manifest.types.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');
export const ACCOUNT_ID = '000000000000';

type Handler = (event: unknown, context: Context, callback?: (error: unknown, result?: unknown) => void) => unknown;

export class HandlerNotFoundError extends Error {
  override name = 'HandlerNotFoundError';
}

export class LambdaTimeoutError extends Error {
  override name = 'Sandbox.Timedout';
}

export interface InvokeOptions {
  /** Overrides the function's own timeout (e.g. API Gateway's 29 s integration timeout). */
  timeoutMs?: number;
}

export class LocalLambdas {
  readonly #modules = new Map<string, Promise<Handler>>();
  /** Handler runs not over yet, including those a timeout already answered for (in AWS the sandbox would be frozen). */
  readonly #running = new Set<Promise<unknown>>();
  readonly #region: string;
  readonly #stage: string;
  readonly #log: (line: string) => void;

  /** `log` receives one line per cold start. */
  constructor(options: { region: string; stage: string; log: (line: string) => void }) {
    this.#region = options.region;
    this.#stage = options.stage;
    this.#log = options.log;
  }

  functionName(spec: FunctionSpec): string {
    return `${this.#stage}-${spec.name}`;
  }

  functionArn(spec: FunctionSpec): string {
    return `arn:aws:lambda:${this.#region}:${ACCOUNT_ID}:function:${this.functionName(spec)}`;
  }

  /** Imports the entry once per process run of the runtime; later invocations are warm. */
  load(spec: FunctionSpec): Promise<Handler> {
    let loaded = this.#modules.get(spec.name);
    if (!loaded) {
      loaded = (async () => {
        const started = performance.now();
        const url = pathToFileURL(path.resolve(REPO_ROOT, spec.entry)).href;
        const mod = (await import(url)) as Record<string, unknown>;
        const exportName = spec.handler ?? 'handler';
        const handler = mod[exportName];
        if (typeof handler !== 'function') {
          throw new HandlerNotFoundError(`${spec.entry} does not export a function named '${exportName}'`);
        }
        this.#log(`λ ${spec.name}: cold start ${Math.round(performance.now() - started)} ms`);
        return handler as Handler;
      })();
      // A failed import (syntax error, missing file) must not stick: the next request retries, as a new
      // Lambda container would.
      loaded.catch(() => this.#modules.delete(spec.name));
      this.#modules.set(spec.name, loaded);
    }
    return loaded;
  }

  /** The Lambda context of one invocation of `spec` that must finish by `deadline` (epoch ms). */
  context(spec: FunctionSpec, deadline: number): Context {
    const functionName = this.functionName(spec);
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.functionArn(spec),
      memoryLimitInMB: String(spec.memoryMb ?? 1024),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/${randomUUID()}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }

  async invoke<T = unknown>(spec: FunctionSpec, event: unknown, options: InvokeOptions = {}): Promise<T> {
    const handler = await this.load(spec);
    const timeoutMs = options.timeoutMs ?? (spec.timeoutSeconds ?? 30) * 1000;
    const deadline = Date.now() + timeoutMs;
    const context = this.context(spec, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LambdaTimeoutError(`Task timed out after ${timeoutMs / 1000} seconds`)), timeoutMs);
    });
    const run = new Promise<T>((resolve, reject) => {
      // Both handler styles: async (returns a promise) and callback (the third argument).
      const callback = (error: unknown, result?: unknown) => (error ? reject(error) : resolve(result as T));
      try {
        const returned = handler(event, context, callback);
        if (returned && typeof (returned as Promise<T>).then === 'function') (returned as Promise<T>).then(resolve, reject);
        else if (handler.length < 3) resolve(returned as T);
      } catch (error) {
        reject(error);
      }
    });
    this.#running.add(run);
    const over = () => this.#running.delete(run);
    run.then(over, over);
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once no handler is running, those that outlived their timeout included (tests wait on it). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
