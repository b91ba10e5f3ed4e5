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
 * where it matters. The batch follows the container's own traffic: at least 10, else what it served of
 * this counter in the last whole second, but never more than a tenth of what is left in the window, so a
 * busy container writes about once a second whatever its rate. Requests arriving while a reservation is
 * being written wait for it instead of each writing their own (near the limit, where the batch is 1, each
 * request still writes). Reserved but unused requests still count (a container that stops early makes the
 * tenant's window slightly stricter, never looser): at most about one second of that container's traffic,
 * and at most a tenth of the window's remainder. Every container does the same against the same item, so
 * the count stays right across containers (DynamoDB's `ADD` is atomic). Once a window is exceeded, the container answers 429
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
/** Requests reserved per write (at least) while the tenant is far (BATCH x BATCH_MARGIN requests) from its limit. */
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
  /** The reservation being written, which requests that find nothing available wait for. */
  refill?: Promise<void>;
  /** This container's recent rate on the counter: the second being counted, and its count and the last one's. */
  second: number;
  servedThisSecond: number;
  servedLastSecond: number;
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

  /** Writes a reservation of `batch` requests; returns how many of them the limit grants (the caller makes them available). */
  async #reserve(tenantId: string, rule: LimitRule, counter: LocalCounter, batch: number, windowStart: number, windowEnd: number): Promise<number> {
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
    // Of the reserved requests, those still under the limit may be served.
    const granted = Math.min(batch, Math.max(0, rule.perMinute - (count - batch)));
    counter.lastCount = Math.max(counter.lastCount, count);
    if (granted === 0) counter.exceeded = true;
    return granted;
  }

  /** Moves the counter's rate to the second `nowSeconds` (a request's own clock reading; never backwards). */
  #tick(counter: LocalCounter, nowSeconds: number): void {
    if (nowSeconds <= counter.second) return;
    counter.servedLastSecond = nowSeconds === counter.second + 1 ? counter.servedThisSecond : 0;
    counter.servedThisSecond = 0;
    counter.second = nowSeconds;
  }

  /** Counts a served request towards this container's rate on the counter. */
  #served(counter: LocalCounter, nowSeconds: number): void {
    this.#tick(counter, nowSeconds);
    counter.servedThisSecond += 1;
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
            // The traffic rate carries over into the new window; the counts start afresh.
            local = {
              windowStart,
              lastCount: 0,
              available: 0,
              exceeded: false,
              second: local?.second ?? nowSeconds,
              servedThisSecond: local?.servedThisSecond ?? 0,
              servedLastSecond: local?.servedLastSecond ?? 0,
            };
            this.#local.set(key, local);
          }
          const counter = local;
          const state = (): LimitState => ({
            rule,
            count: counter.lastCount - counter.available,
            remaining: Math.max(0, rule.perMinute - counter.lastCount + counter.available),
            resetSeconds,
            exceeded: counter.exceeded,
          });
          for (;;) {
            if (counter.exceeded) return state();
            if (counter.available > 0) {
              counter.available -= 1;
              this.#served(counter, nowSeconds);
              return state();
            }
            if (counter.refill) {
              await counter.refill;
              continue;
            }
            this.#tick(counter, nowSeconds);
            const headroom = rule.perMinute - counter.lastCount;
            const batch =
              headroom >= BATCH * BATCH_MARGIN ? Math.max(BATCH, Math.min(counter.servedLastSecond, Math.floor(headroom / BATCH_MARGIN))) : 1;
            const reserve = this.#reserve(tenantId, rule, counter, batch, windowStart, windowEnd);
            if (batch === 1) {
              // Near the limit every request counts itself, concurrently, as it always did: its one granted
              // request is this one, never put where another could take it.
              if ((await reserve) === 0) return state();
              this.#served(counter, nowSeconds);
              return state();
            }
            // Made available in the same tick the write answers, before any waiter resumes.
            counter.refill = reserve.then((granted) => {
              counter.available += granted;
            });
            try {
              await counter.refill;
            } finally {
              counter.refill = undefined;
            }
          }
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
