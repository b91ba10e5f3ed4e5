/**
 * Per-tenant rate limits: fixed one-minute windows counted in the rateLimits DynamoDB table.
 *
 * One `UpdateItem` (`ADD count :one`, `ReturnValues: UPDATED_NEW`) per counter and request: atomic across
 * every concurrent Lambda, no read-then-write race, no transaction (the local emulator has none). Each
 * window is its own item (`pk` ends in the window's start), so a new window starts at zero without a reset
 * write; `expiresAt` lets DynamoDB TTL delete old windows (only a cleanup backstop: TTL is lazy, and the
 * emulator has none, so nothing here reads it). A fixed window may let up to twice the limit through
 * around a window boundary; that is the price of one write per request, and fine for abuse protection.
 *
 * Fewer writes on a busy tenant: far from its limit, a container reserves a batch of requests with one
 * `ADD :batch` and serves them from memory; near the limit it counts one by one, so the limit stays exact
 * where it matters. Reserved but unused requests still count (a container that stops early makes the
 * tenant's window slightly stricter, never looser). Once a window is exceeded, the container answers 429
 * from memory until the window ends: a flood costs no DynamoDB writes and no hot-key throttling, which would
 * otherwise make the limiter fail open exactly under abuse.
 *
 * Fail open: when DynamoDB cannot be reached the request is served and a warning logged, so a limiter
 * outage never takes the API down.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tables } from '#shared/resources.ts';
import { logger } from './observability.ts';

/** Requests per minute per tenant across all authenticated routes, unless the environment says otherwise. */
export const DEFAULT_PER_MINUTE = 1200;
/** Environment variable overriding the tenant-wide limit (local: passed through; deployed: see README). */
export const PER_MINUTE_ENV = 'RATE_LIMIT_PER_MINUTE';
const WINDOW_SECONDS = 60;
/** Requests reserved per write while the tenant is far (BATCH x BATCH_MARGIN requests) from its limit. */
const BATCH = 10;
const BATCH_MARGIN = 10;

/** What this container knows of one counter in the current window. */
interface LocalCounter {
  windowStart: number;
  /** The counter's value after this container's last write. */
  lastCount: number;
  /** Reserved requests not yet served. */
  available: number;
  exceeded: boolean;
}

/** One counter to hit: `scope` names what is counted (the whole tenant, or one route of it). */
export interface LimitRule {
  scope: string;
  perMinute: number;
  /** How the limit reads in a 429's detail, e.g. `for POST /v1/agents/{agentId}/executions`. */
  label: string;
}

export interface LimitState {
  rule: LimitRule;
  /** Requests counted in this window, this one included. */
  count: number;
  remaining: number;
  /** Seconds until the window ends (at least 1). */
  resetSeconds: number;
  exceeded: boolean;
}

export interface RateLimiterOptions {
  db: DynamoDBDocumentClient;
  table: string;
  /** Epoch milliseconds; tests pin it to stay inside one window. */
  now?: () => number;
}

export class RateLimiter {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => number;
  readonly #local = new Map<string, LocalCounter>();

  constructor(options: RateLimiterOptions) {
    this.#db = options.db;
    this.#table = options.table;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Counts one request of `tenantId` against every rule, concurrently. Returns one state per rule, or
   * undefined when the table could not be reached (the caller serves the request: fail open).
   */
  async hit(tenantId: string, rules: LimitRule[]): Promise<LimitState[] | undefined> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const windowStart = nowSeconds - (nowSeconds % WINDOW_SECONDS);
    const windowEnd = windowStart + WINDOW_SECONDS;
    const resetSeconds = Math.max(1, windowEnd - nowSeconds);
    try {
      return await Promise.all(
        rules.map(async (rule): Promise<LimitState> => {
          const key = `${tenantId}#${rule.scope}`;
          let local = this.#local.get(key);
          if (!local || local.windowStart !== windowStart) {
            local = { windowStart, lastCount: 0, available: 0, exceeded: false };
            this.#local.set(key, local);
          }
          const state = (counter: LocalCounter): LimitState => ({
            rule,
            count: counter.lastCount - counter.available,
            remaining: Math.max(0, rule.perMinute - counter.lastCount + counter.available),
            resetSeconds,
            exceeded: counter.exceeded,
          });
          if (local.exceeded) return state(local);
          if (local.available > 0) {
            local.available -= 1;
            return state(local);
          }
          const batch = rule.perMinute - local.lastCount >= BATCH * BATCH_MARGIN ? BATCH : 1;
          const { Attributes } = await this.#db.send(
            new UpdateCommand({
              TableName: this.#table,
              Key: { pk: `${tenantId}#${rule.scope}#${windowStart}` },
              UpdateExpression: 'ADD #count :batch SET #expiresAt = :expiresAt',
              ExpressionAttributeNames: { '#count': 'count', '#expiresAt': tables.rateLimits.ttl },
              // One window of slack: the item outlives its window, then TTL may delete it.
              ExpressionAttributeValues: { ':batch': batch, ':expiresAt': windowEnd + WINDOW_SECONDS },
              ReturnValues: 'UPDATED_NEW',
            }),
          );
          const count = Number(Attributes?.count ?? batch);
          // Of the reserved requests, those still under the limit may be served: this one, then the rest.
          const granted = Math.min(batch, Math.max(0, rule.perMinute - (count - batch)));
          local.lastCount = Math.max(local.lastCount, count);
          if (granted === 0) {
            local.exceeded = true;
            return state(local);
          }
          local.available += granted - 1;
          return state(local);
        }),
      );
    } catch (error) {
      // Name and message only: the SDK error carries the request, never a credential, but keep it short.
      logger.warn('Rate limiter unavailable; serving the request unlimited', {
        tenantId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return undefined;
    }
  }
}

/** The tenant-wide limit (default: from the environment); a missing or invalid value means the default. */
export const perMinuteFromEnv = (value: string | undefined = process.env[PER_MINUTE_ENV]): number => {
  const parsed = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isInteger(parsed) && parsed > 0 ? parsed : DEFAULT_PER_MINUTE;
};

/**
 * The limiter of this cold start, built on first use from the standard environment; undefined when the
 * function has no rateLimits table (unit tests calling handlers directly), which means no limiting.
 * Short timeouts and one retry: a slow limiter must not hold the request up for long.
 */
let shared: RateLimiter | null | undefined;
export const rateLimiterFromEnv = (): RateLimiter | undefined => {
  if (shared === undefined) {
    const table = process.env[tables.rateLimits.env];
    shared = table
      ? new RateLimiter({
          db: DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } })),
          table,
        })
      : null;
  }
  return shared ?? undefined;
};
