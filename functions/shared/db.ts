/**
 * One pg Pool per cold start. Locally (and on LocalStack) DATABASE_URL names the database; in AWS the
 * function gets DB_SECRET_ARN (the RDS-generated JSON secret) and DB_HOST (the RDS Proxy endpoint), and
 * connects over TLS. A Lambda container serves one request at a time, so the pool stays small.
 *
 * The database secret is rotated (lib/constructs/database.construct.ts), and repositories keep the Pool they
 * got at cold start, so the Pool object must survive a rotation: it asks for the password per new connection
 * (pg supports a function-valued `password`), and when the server rejects the credentials it re-reads the
 * secret once, bypassing the cache, and retries that connection once. Open connections are unaffected
 * (PostgreSQL checks passwords only at login), and nothing has run on a connection that failed to log in,
 * so retrying it is safe.
 */
import pg from 'pg';
import { readJsonSecretByArn } from './secrets.ts';

export interface DbSecret {
  username: string;
  password: string;
  dbname?: string;
  port?: number | string;
  host?: string;
}

/** Where the database credentials come from; `forceFetch` means the cached value was just rejected. */
export type DbSecretReader = (options: { forceFetch: boolean }) => Promise<DbSecret>;

/** SQLSTATE invalid_password (28P01) and invalid_authorization_specification (28000). */
const AUTH_FAILURES = new Set(['28P01', '28000']);

export const isAuthFailure = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && AUTH_FAILURES.has(String((error as { code?: unknown }).code));

/** Socket errors of a database that is not there (restarting, failing over) or a connection it dropped. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLSTATE admin_shutdown, crash_shutdown, cannot_connect_now (the server is starting or stopping). */
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03']);

/**
 * Whether `error` says the database could not be reached or went away mid-query (a restart, a failover, a
 * connection the proxy dropped), as opposed to a query it refused: the former is worth another try later.
 * pg reports a socket closed under a query without a code, so its message is matched too.
 */
export const isConnectionFailure = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || SHUTDOWN_STATES.has(code) || code.startsWith('08'))) return true;
  return (
    typeof message === 'string' &&
    /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Connection terminated unexpectedly)/.test(
      message,
    )
  );
};

const commonConfig = (): pg.PoolConfig => ({
  max: Number(process.env.DB_POOL_MAX ?? 3),
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 10_000,
  application_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'mls',
});

/** Connection settings from the secret, without the password. */
const secretConfig = (secret: DbSecret): pg.PoolConfig => ({
  host: process.env.DB_HOST ?? secret.host,
  port: Number(secret.port ?? 5432),
  user: secret.username,
  database: secret.dbname ?? 'postgres',
  // RDS Proxy presents an ACM certificate that Node's bundled CAs trust; a database reached directly presents
  // an RDS CA's, which the stack makes trusted with NODE_EXTRA_CA_CERTS on every database function.
  // DB_SSL_VERIFY=false is a local escape hatch only: no deploy setting reaches it.
  ssl: { rejectUnauthorized: process.env.DB_SSL_VERIFY !== 'false' },
});

const secretArn = (): string => {
  const arn = process.env.DB_SECRET_ARN;
  if (!arn) throw new Error('Set DATABASE_URL, or DB_SECRET_ARN and DB_HOST');
  return arn;
};

/** Reads DB_SECRET_ARN through Powertools parameters (cached; `forceFetch` bypasses and refreshes the cache). */
export const powertoolsSecretReader =
  (arn: string): DbSecretReader =>
  ({ forceFetch }) =>
    readJsonSecretByArn<DbSecret>(arn, { forceFetch });

/**
 * A Pool whose credentials follow the secret. Concurrent connections rejected together share one re-read,
 * and a connection that started before someone else's re-read just retries with the newer secret.
 */
class SecretPool extends pg.Pool {
  readonly #credentials: { secret: DbSecret };
  readonly #read: DbSecretReader;
  #generation = 0;
  #refreshing: Promise<void> | undefined;

  constructor(config: pg.PoolConfig, secret: DbSecret, read: DbSecretReader) {
    // `this` is not available before super(): the password function reads a holder the instance shares.
    const credentials = { secret };
    super({ ...config, password: () => credentials.secret.password });
    this.#credentials = credentials;
    this.#read = read;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(
    callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<pg.PoolClient> | undefined {
    // pg-pool's own query() checks a client out through this callback form, so both forms get the retry.
    const attempt = this.#connectRefreshingOnce();
    if (!callback) return attempt;
    attempt.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
    return undefined;
  }

  async #connectRefreshingOnce(): Promise<pg.PoolClient> {
    const generation = this.#generation;
    try {
      return await super.connect();
    } catch (error) {
      if (!isAuthFailure(error)) throw error;
      await this.#refresh(generation);
      // Once only: a password that is still rejected surfaces as the authentication error.
      return super.connect();
    }
  }

  #refresh(seenGeneration: number): Promise<void> {
    if (seenGeneration !== this.#generation) return Promise.resolve();
    this.#refreshing ??= this.#read({ forceFetch: true })
      .then((secret) => {
        this.#credentials.secret = secret;
        // The alternating-users rotation strategy changes the user name too; pg-pool passes these options to
        // every new client.
        this.options.user = secret.username;
        this.#generation += 1;
      })
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }
}

/** A pool built from the database secret; `overrides` win over the secret's settings (tests: `ssl: false`). */
export const createSecretPool = async (read: DbSecretReader, overrides: pg.PoolConfig = {}): Promise<pg.Pool> => {
  const secret = await read({ forceFetch: false });
  return new SecretPool({ ...commonConfig(), ...secretConfig(secret), ...overrides }, secret, read);
};

const createPool = async (): Promise<pg.Pool> => {
  const url = process.env.DATABASE_URL;
  if (url) return new pg.Pool({ ...commonConfig(), connectionString: url });
  return createSecretPool(powertoolsSecretReader(secretArn()));
};

let pool: Promise<pg.Pool> | undefined;

export const getPool = (): Promise<pg.Pool> => {
  pool ??= createPool().then((p) => {
    // An idle client losing its connection (proxy recycling) must not crash the process.
    p.on('error', () => undefined);
    return p;
  });
  // A failed start (e.g. secret not readable yet) must not stick for the container's lifetime.
  pool.catch(() => {
    pool = undefined;
  });
  return pool;
};

/** For tests and the local runtime's shutdown. */
export const closePool = async (): Promise<void> => {
  const current = pool;
  pool = undefined;
  if (current) await (await current).end();
};

/** Anything that runs a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Runs `fn` in one transaction on a client of `pool`: committed when it resolves, rolled back when it throws. */
export const transaction = async <T>(pool: Pick<pg.Pool, 'connect'>, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
};

/** A transaction on the shared pool. */
export const withTransaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => transaction(await getPool(), fn);
