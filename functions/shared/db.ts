/**
 * One pg Pool per cold start. Locally (and on LocalStack) DATABASE_URL names the database; in AWS the
 * function gets DB_SECRET_ARN (the RDS-generated JSON secret) and DB_HOST (the RDS Proxy endpoint), and
 * connects over TLS. A Lambda container serves one request at a time, so the pool stays small.
 */
import pg from 'pg';
import { readJsonSecretByArn } from './secrets.ts';

interface DbSecret {
  username: string;
  password: string;
  dbname?: string;
  port?: number | string;
  host?: string;
}

export const poolConfig = async (): Promise<pg.PoolConfig> => {
  const common: pg.PoolConfig = {
    max: Number(process.env.DB_POOL_MAX ?? 3),
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'mls',
  };
  const url = process.env.DATABASE_URL;
  if (url) return { ...common, connectionString: url };
  const arn = process.env.DB_SECRET_ARN;
  if (!arn) throw new Error('Set DATABASE_URL, or DB_SECRET_ARN and DB_HOST');
  const secret = await readJsonSecretByArn<DbSecret>(arn);
  return {
    ...common,
    host: process.env.DB_HOST ?? secret.host,
    port: Number(secret.port ?? 5432),
    user: secret.username,
    password: secret.password,
    database: secret.dbname ?? 'postgres',
    // RDS Proxy presents an ACM certificate that Node's bundled CAs trust. DB_SSL_VERIFY=false is an escape
    // hatch for a directly reached instance whose RDS CA is not in that bundle (prefer NODE_EXTRA_CA_CERTS).
    ssl: { rejectUnauthorized: process.env.DB_SSL_VERIFY !== 'false' },
  };
};

let pool: Promise<pg.Pool> | undefined;

export const getPool = (): Promise<pg.Pool> => {
  pool ??= poolConfig().then((config) => {
    const p = new pg.Pool(config);
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
