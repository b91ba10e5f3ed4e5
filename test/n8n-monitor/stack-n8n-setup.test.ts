/**
 * The stack's own n8n set up and registered on deploy (setup-stack-n8n, run by a CDK trigger): against the
 * scripted n8n's internal REST routes (owner setup, sign-in, API keys) and the real PostgreSQL of the local
 * runtime. A fresh n8n gets its owner and a key that is stored and registered; a second run signs in or
 * reuses the key and updates the same instance; an n8n that is down is waited for within a budget, then
 * recorded as a failure without throwing (a deploy must not roll back over it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAccess, n8nOwnerAdapter } from '#functions/n8n-monitor/n8n/n8n-owner.adapter.ts';
import type { N8nAccess, N8nAccessStore } from '#functions/n8n-monitor/n8n/n8n-owner.ts';
import { instanceRepository } from '#functions/n8n-monitor/n8n-monitor.composition.ts';
import { setupStackN8n } from '#functions/n8n-monitor/instances/stack-n8n.service.ts';
import { credentialsBox } from '#shared/sealed-secrets.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startScriptedN8n, type ScriptedN8n } from './support/scripted-n8n.ts';

let rt: TestRuntime;
let n8n: ScriptedN8n;
const loopback = { policy: { allowPrivateNetworks: true, alwaysRefuseLinkLocal: true } };
const quiet = () => undefined;

/** The owner secret as the stack generates it, and an API key secret still holding its random initial value. */
const secretsLike = (owner = { email: 'admin@n8n.example.com', password: 'Generated0Password0From0Secrets0Manager' }) => {
  const kept: N8nAccess = { ...owner, apiKey: 'initial-random-secret-value' };
  const writes: string[] = [];
  const store: N8nAccessStore = {
    describe: 'the owner secret',
    load: async () => ({ ...kept }),
    save: async ({ apiKey }) => {
      if (apiKey) {
        kept.apiKey = apiKey;
        writes.push(apiKey);
      }
    },
  };
  return { store, kept, writes };
};

const ports = async (url: string, store: N8nAccessStore, options = loopback) => ({
  owner: n8nOwnerAdapter(url, store, quiet, options),
  repo: await instanceRepository(),
  box: await credentialsBox(),
});

const instances = async () => {
  const res = await rt.fetchJson('/v1/n8n/instances', { headers: { 'x-api-key': rt.apiKey } });
  expect(res.status, res.text).toBe(200);
  return res.body.items as Array<{ instanceId: string; name: string; baseUrl: string }>;
};

beforeAll(async () => {
  n8n = await startScriptedN8n({ fresh: true });
  rt = await startTestRuntime({ scheduler: false, env: { N8N_REQUEST_TIMEOUT_MS: '1000', N8N_ALLOW_PRIVATE_NETWORKS: 'true' } });
});
afterAll(async () => {
  await rt?.stop();
  await n8n?.close();
});

describe('setting up the stack n8n', () => {
  const secrets = secretsLike();

  it('sets up the owner of a fresh n8n, creates a key, stores it and registers the instance', async () => {
    expect(n8n.owner()).toBeUndefined();
    const outcome = await setupStackN8n(await ports(n8n.url, secrets.store), {
      tenantId: 'default',
      name: 'stack n8n',
      baseUrl: n8n.url,
      budgetMs: 5_000,
    });
    expect(outcome).toMatchObject({ status: 'registered', steps: ['owner-set-up', 'key-created'], attempts: 1 });
    // The owner is the one kept in the owner secret; the key n8n made is the one stored and accepted.
    expect(n8n.owner()).toEqual({ email: 'admin@n8n.example.com', password: 'Generated0Password0From0Secrets0Manager' });
    expect(secrets.writes).toHaveLength(1);
    expect(n8n.apiKeys.has(secrets.kept.apiKey!)).toBe(true);
    const listed = await instances();
    expect(listed).toEqual([expect.objectContaining({ name: 'stack n8n', baseUrl: n8n.url })]);
    // The registered key works: a sync through the monitor reaches n8n's public API with it.
    const synced = await rt.fetchJson(`/v1/n8n/instances/${listed[0]!.instanceId}/sync`, { method: 'POST', headers: { 'x-api-key': rt.apiKey } });
    expect(synced.status, synced.text).toBe(200);
    expect(synced.body.outcome).not.toBe('error');
    // Never the key or the password in what the use case answers.
    expect(JSON.stringify(outcome)).not.toContain(secrets.kept.apiKey!);
    expect(JSON.stringify(outcome)).not.toContain('Generated0Password');
  });

  it('a second run reuses the working key and updates the same instance', async () => {
    const before = await instances();
    const setups = n8n.countOf('POST', '/rest/owner/setup');
    const outcome = await setupStackN8n(await ports(n8n.url, secrets.store), {
      tenantId: 'default',
      name: 'stack n8n',
      baseUrl: n8n.url,
      budgetMs: 5_000,
    });
    expect(outcome).toMatchObject({ status: 'registered', steps: ['key-reused'] });
    expect(n8n.countOf('POST', '/rest/owner/setup')).toBe(setups);
    expect(secrets.writes).toHaveLength(1);
    expect(await instances()).toEqual(before.map((i) => expect.objectContaining({ instanceId: i.instanceId, name: 'stack n8n' })));
  });

  it('a revoked key: signs in as the stored owner, creates and stores a new key, still one instance', async () => {
    const [instance] = await instances();
    n8n.apiKeys.clear();
    const outcome = await setupStackN8n(await ports(n8n.url, secrets.store), {
      tenantId: 'default',
      name: 'stack n8n',
      baseUrl: n8n.url,
      budgetMs: 5_000,
    });
    expect(outcome).toMatchObject({ status: 'registered', steps: ['signed-in', 'key-created'] });
    expect(n8n.countOf('POST', '/rest/login')).toBe(1);
    expect(secrets.writes).toHaveLength(2);
    expect(n8n.apiKeys.has(secrets.kept.apiKey!)).toBe(true);
    const listed = await instances();
    expect(listed.map((i) => i.instanceId)).toEqual([instance!.instanceId]);
    const synced = await rt.fetchJson(`/v1/n8n/instances/${instance!.instanceId}/sync`, { method: 'POST', headers: { 'x-api-key': rt.apiKey } });
    expect(synced.body.outcome, synced.text).not.toBe('error');
  });

  it('a wrong stored password is refused at once, with n8n’s reason, and changes nothing', async () => {
    n8n.apiKeys.clear();
    const wrong = secretsLike({ email: 'admin@n8n.example.com', password: 'Wrong0Password0Here' });
    const before = await instances();
    const outcome = await setupStackN8n(await ports(n8n.url, wrong.store), {
      tenantId: 'default',
      name: 'stack n8n',
      baseUrl: n8n.url,
      budgetMs: 60_000,
    });
    expect(outcome).toMatchObject({ status: 'failed', retryable: false, attempts: 1 });
    expect(outcome.status === 'failed' && outcome.reason).toMatch(/rest\/login answered 401: Wrong username or password/);
    expect(wrong.writes).toEqual([]);
    expect(await instances()).toEqual(before);
  });

  it('reaches n8n at its load balancer by another name, with TLS and Host still naming n8n', async () => {
    // `n8n.stack.invalid` resolves nowhere (RFC 6761): only the load balancer's name is looked up.
    const url = `http://n8n.stack.invalid:${new URL(n8n.url).port}`;
    const fresh = secretsLike();
    const access = await ensureAccess(url, fresh.store, quiet, { ...loopback, resolveAs: 'localhost' });
    expect(access.steps).toEqual(['signed-in', 'key-created']);
    await expect(ensureAccess(url, fresh.store, quiet, loopback)).rejects.toMatchObject({ retryable: true });
  });
});

describe('an n8n that is down', () => {
  it('is retried with backoff within the budget, then recorded as a failure; nothing registered', async () => {
    const down = await startScriptedN8n({ fresh: true });
    const url = down.url;
    await down.close();
    const before = await instances();
    const waits: number[] = [];
    let clock = 0;
    const outcome = await setupStackN8n(
      { ...(await ports(url, secretsLike().store)), sleep: async (ms) => void waits.push(ms), now: () => (clock += 1_000) },
      { tenantId: 'default', name: 'down n8n', baseUrl: url, budgetMs: 60_000, firstDelayMs: 2_000, maxDelayMs: 16_000 },
    );
    expect(outcome).toMatchObject({ status: 'failed', retryable: true });
    expect(outcome.status === 'failed' && outcome.reason).toMatch(/not reachable.*ECONNREFUSED/);
    expect(waits.slice(0, 5)).toEqual([2_000, 4_000, 8_000, 16_000, 16_000]);
    expect(outcome.attempts).toBeGreaterThan(5);
    expect(await instances()).toEqual(before);
  });

  it('waits out a load balancer answering 503 until n8n is ready', async () => {
    const starting = await startScriptedN8n({ fresh: true });
    try {
      starting.fault({ kind: 'status', status: 503, times: 2, match: (_m, path) => path === '/rest/settings' });
      const outcome = await setupStackN8n(
        { ...(await ports(starting.url, secretsLike().store)), sleep: async () => undefined },
        { tenantId: 'default', name: 'starting n8n', baseUrl: starting.url, budgetMs: 60_000 },
      );
      expect(outcome).toMatchObject({ status: 'registered', attempts: 3, steps: ['owner-set-up', 'key-created'] });
    } finally {
      await starting.close();
    }
  });

  it('the deploy handler answers instead of throwing: skipped without a stack n8n, failed with its reason otherwise', async () => {
    expect(await rt.invokeSystem('setup-stack-n8n', {})).toMatchObject({ status: 'skipped' });
    const names = ['N8N_STACK_URL', 'N8N_OWNER_SECRET_ARN', 'N8N_API_KEY_SECRET_ARN', 'AWS_ENDPOINT_URL_SECRETS_MANAGER'];
    const saved = names.map((n) => [n, process.env[n]] as const);
    Object.assign(process.env, {
      N8N_STACK_URL: 'https://n8n.example.com',
      N8N_OWNER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mls-test/n8n/owner-AbCdEf',
      N8N_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mls-test/n8n/apiKey-AbCdEf',
      // Secrets Manager unreachable: the handler must still answer.
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
    });
    try {
      const before = await instances();
      const outcome = await rt.invokeSystem<{ status: string; reason: string }>('setup-stack-n8n', {});
      expect(outcome.status).toBe('failed');
      expect(outcome.reason).toMatch(/ECONNREFUSED|connect/i);
      expect(await instances()).toEqual(before);
    } finally {
      for (const [n, v] of saved) {
        if (v === undefined) delete process.env[n];
        else process.env[n] = v;
      }
    }
  });
});
