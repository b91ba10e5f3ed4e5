/**
 * Where the platform is and how to authenticate, for every command: `--url`/`--key` flags win, then the
 * MLS_URL / MLS_API_KEY environment, then the discovery file a running `npm start` writes
 * (`.mls/local.json` in the current directory or the nearest parent that has one).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Connection {
  /** REST base URL without a trailing slash, e.g. `http://127.0.0.1:3000`. */
  restUrl: string;
  /** WebSocket URL when known (from the discovery file), e.g. `ws://127.0.0.1:3001`. */
  wsUrl?: string;
  apiKey: string;
  /** Where the values came from, for messages. */
  source: 'flags' | 'environment' | string;
}

export class ConnectionError extends Error {}

/** The nearest `.mls/local.json` from `start` upwards. */
export const findDiscoveryFile = (start = process.cwd()): string | undefined => {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.mls', 'local.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
};

export const resolveConnection = (
  flags: { url?: string | undefined; key?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Connection => {
  const trim = (url: string) => url.replace(/\/+$/, '');
  if (flags.url || flags.key) {
    if (!flags.url || !flags.key) throw new ConnectionError('--url and --key go together');
    return { restUrl: trim(flags.url), apiKey: flags.key, source: 'flags' };
  }
  if (env.MLS_URL || env.MLS_API_KEY) {
    if (!env.MLS_URL || !env.MLS_API_KEY) throw new ConnectionError('MLS_URL and MLS_API_KEY go together');
    return { restUrl: trim(env.MLS_URL), apiKey: env.MLS_API_KEY, source: 'environment' };
  }
  const file = findDiscoveryFile(cwd);
  if (!file) {
    throw new ConnectionError('No platform found: start one with `npm start`, or pass --url and --key (or set MLS_URL and MLS_API_KEY)');
  }
  const found = JSON.parse(readFileSync(file, 'utf8')) as { restUrl?: unknown; wsUrl?: unknown; apiKey?: unknown };
  if (typeof found.restUrl !== 'string' || typeof found.apiKey !== 'string') throw new ConnectionError(`${file} has no restUrl/apiKey`);
  return { restUrl: trim(found.restUrl), ...(typeof found.wsUrl === 'string' ? { wsUrl: found.wsUrl } : {}), apiKey: found.apiKey, source: file };
};

/** `--name value` and `--name=value` flags (the strings after the command), plus what is left. */
export const connectionFlags = (args: string[]): { url?: string; key?: string; rest: string[] } => {
  const out: { url?: string; key?: string; rest: string[] } = { rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--(url|key)(?:=(.*))?$/.exec(arg);
    if (!match) {
      out.rest.push(arg);
      continue;
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new ConnectionError(`--${match[1]} needs a value`);
    out[match[1] as 'url' | 'key'] = value;
  }
  return out;
};

/** fetch against the platform with its credentials; an unreachable API is a ConnectionError naming the URL. */
export const apiFetch = async (connection: Connection, pathAndQuery: string, init: RequestInit = {}): Promise<Response> => {
  const headers = new Headers(init.headers);
  headers.set('x-api-key', connection.apiKey);
  try {
    return await fetch(`${connection.restUrl}${pathAndQuery}`, { ...init, headers });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ConnectionError(`cannot reach ${connection.restUrl} (${cause?.code ?? cause?.message ?? String(error)})`);
  }
};
