/**
 * The `db-init` container of n8n's ECS task (lib/n8n-stack.ts) runs DB_INIT_SCRIPT with psql against the
 * stack's PostgreSQL as its (non-superuser) master. Run here the same way, against the test PostgreSQL, as a
 * master with only CREATEROLE and CREATEDB (what Aurora's master has): it must create n8n's role and database,
 * be safe to run on every task start, and leave a database the role owns and can use.
 * Needs `psql` on PATH (the container image has it); skipped, saying so, where it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { DB_INIT_SCRIPT } from '../../lib/n8n-stack.ts';

const hasPsql = spawnSync('psql', ['--version']).status === 0;
const suffix = randomBytes(4).toString('hex');
const names = { master: `master_${suffix}`, role: `n8n_${suffix}`, db: `n8n_${suffix}` };
const masterPassword = randomBytes(12).toString('hex');
// Quotes, a dollar sign and a command substitution: the password must reach PostgreSQL unchanged.
const n8nPassword = `it's "a" $(pw) ${suffix}`;
const admin = new URL(inject('databaseUrl'));

const asAdmin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
};

afterAll(async () => {
  if (!hasPsql) return;
  await asAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${names.db} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${names.role}`);
    await c.query(`DROP ROLE IF EXISTS ${names.master}`);
  });
});

describe.skipIf(!hasPsql)("n8n's database init script", () => {
  it('creates the role and its database as a non-superuser master, twice without harm, with any password', async () => {
    await asAdmin((c) => c.query(`CREATE ROLE ${names.master} LOGIN CREATEROLE CREATEDB PASSWORD '${masterPassword}'`));
    const env = {
      PATH: process.env.PATH ?? '',
      PGHOST: admin.hostname,
      PGPORT: admin.port || '5432',
      PGUSER: names.master,
      PGPASSWORD: masterPassword,
      PGDATABASE: 'postgres',
      N8N_DB_USER: names.role,
      N8N_DB_NAME: names.db,
      N8N_DB_PASSWORD: n8nPassword,
    };
    const first = execFileSync('sh', ['-c', DB_INIT_SCRIPT], { env, encoding: 'utf8' });
    expect(first).toContain('CREATE ROLE');
    expect(first).toContain('CREATE DATABASE');
    const second = execFileSync('sh', ['-c', DB_INIT_SCRIPT], { env, encoding: 'utf8' });
    expect(second).not.toContain('CREATE DATABASE');

    const n8n = new pg.Client({
      host: admin.hostname,
      port: Number(admin.port || 5432),
      user: names.role,
      password: n8nPassword,
      database: names.db,
    });
    await n8n.connect();
    try {
      await n8n.query('CREATE TABLE workflow_probe (id int)');
      const { rows } = await n8n.query('SELECT current_user AS u, current_database() AS d');
      expect(rows[0]).toEqual({ u: names.role, d: names.db });
    } finally {
      await n8n.end();
    }
    const owner = await asAdmin((c) => c.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [names.db]));
    expect(owner.rows[0].owner).toBe(names.role);
  });
});
