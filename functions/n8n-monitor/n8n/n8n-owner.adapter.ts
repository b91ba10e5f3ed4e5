/**
 * An owner and a public-API key for an n8n, through n8n's internal REST API as its editor uses it (a session
 * cookie bound to a browser id): `GET /rest/settings`, `POST /rest/owner/setup`, `POST /rest/login`,
 * `GET /rest/api-keys/scopes`, `POST /rest/api-keys`. Used by `npm start -- --with-n8n` (local/n8n.ts), by
 * `npm run n8n:setup` and by the stack's deploy-time setup (setup-stack-n8n). These routes are not n8n's
 * public contract: test/n8n-real/real-n8n.real.ts exercises them against the pinned n8n.
 *
 * Every call goes through the shared outbound client (SSRF policy, deadline, size cap, no redirects).
 */
import { randomBytes } from 'node:crypto';
import { OutboundRefusedError, OutboundTimeoutError, outboundRequest, type OutboundPolicy } from '#shared/outbound-http.ts';
import { N8nOwnerError, type N8nAccessStore, type N8nOwnerAccess, type N8nOwnerPort } from './n8n-owner.ts';

export interface N8nOwnerOptions {
  /** The SSRF rules (loopback needs allowPrivateNetworks). */
  policy: OutboundPolicy;
  /** Connect to this host's addresses instead of the URL's (outbound-http's `resolveAs`): the stack's load balancer. */
  resolveAs?: string;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** The owner a fresh n8n gets when the store has none (local runs). Default owner@mls.local. */
  defaultEmail?: string;
}

const MAX_BYTES = 1024 * 1024;
/** What a load balancer answers while no n8n task is healthy, and what an n8n still migrating answers. */
const NOT_READY = new Set([502, 503, 504]);

interface Answer {
  status: number;
  setCookie: string[];
  text: string;
}

const exchange = async (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  options: N8nOwnerOptions,
): Promise<Answer> => {
  const target = new URL(url);
  try {
    const response = await outboundRequest(target, {
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      timeoutMs: options.timeoutMs ?? 30_000,
      maxResponseBytes: MAX_BYTES,
      policy: options.policy,
      ...(options.resolveAs ? { resolveAs: options.resolveAs } : {}),
    });
    const cookies = response.headers['set-cookie'] ?? [];
    return { status: response.status, setCookie: cookies, text: response.body.toString('utf8') };
  } catch (error) {
    if (error instanceof OutboundRefusedError) throw new N8nOwnerError(`${target.host}: ${error.message}`, false);
    const reason =
      error instanceof OutboundTimeoutError ? error.message : `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim();
    throw new N8nOwnerError(`n8n at ${target.origin} is not reachable: ${reason}`, true);
  }
};

/** One signed-in browser session against n8n's internal REST API. */
class N8nSession {
  private cookie = '';
  private readonly browserId = randomBytes(16).toString('hex');
  private readonly url: string;
  private readonly options: N8nOwnerOptions;
  constructor(url: string, options: N8nOwnerOptions) {
    this.url = url;
    this.options = options;
  }

  async json<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const answer = await exchange(
      `${this.url}${route}`,
      {
        method,
        headers: {
          accept: 'application/json',
          'browser-id': this.browserId,
          ...(this.cookie ? { cookie: this.cookie } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      this.options,
    );
    const session = answer.setCookie.find((c) => c.startsWith('n8n-auth='));
    if (session) this.cookie = session.split(';')[0]!;
    if (answer.status < 200 || answer.status >= 300)
      throw new N8nOwnerError(`n8n ${method} ${route} answered ${answer.status}: ${messageOf(answer.text)}`, NOT_READY.has(answer.status));
    try {
      return (answer.text ? JSON.parse(answer.text) : undefined) as T;
    } catch {
      // An HTML page where JSON was expected: a proxy or an n8n still starting.
      throw new N8nOwnerError(`n8n ${method} ${route} answered ${answer.status} with something other than JSON`, true);
    }
  }
}

const messageOf = (text: string): string => {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.slice(0, 300);
  } catch {
    // Not JSON.
  }
  return text.slice(0, 300);
};

/** Whether n8n's public API accepts `apiKey`; unreachable is an error (retryable), a refusal is `false`. */
const keyWorks = async (url: string, apiKey: string, options: N8nOwnerOptions): Promise<boolean> => {
  const answer = await exchange(
    `${url}/api/v1/workflows?limit=1`,
    { method: 'GET', headers: { 'x-n8n-api-key': apiKey, accept: 'application/json' } },
    options,
  );
  if (NOT_READY.has(answer.status)) throw new N8nOwnerError(`n8n at ${url} is not ready: it answered ${answer.status}`, true);
  return answer.status >= 200 && answer.status < 300;
};

/**
 * An owner and a public-API key for n8n at `url`. A fresh n8n gets an owner (the stored one, or a generated
 * `owner@mls.local` when the store has none) with `POST /rest/owner/setup`, which also signs the session in;
 * an n8n set up before is signed into with the stored credentials. A stored key is reused while n8n accepts
 * it; otherwise a new one is created (every scope the owner may grant, no expiry) and stored.
 */
export async function ensureAccess(
  url: string,
  store: N8nAccessStore,
  log: (line: string) => void,
  options: N8nOwnerOptions = { policy: { allowPrivateNetworks: true, alwaysRefuseLinkLocal: true } },
): Promise<N8nOwnerAccess> {
  const base = url.replace(/\/+$/, '');
  const stored = await store.load();
  const owner = stored
    ? { email: stored.email, password: stored.password }
    : { email: options.defaultEmail ?? 'owner@mls.local', password: `Mls${randomBytes(18).toString('base64url')}9` };
  if (stored?.apiKey && (await keyWorks(base, stored.apiKey, options))) return { apiKey: stored.apiKey, owner, steps: ['key-reused'] };

  const steps: N8nOwnerAccess['steps'] = [];
  const session = new N8nSession(base, options);
  const settings = await session.json<{ data?: { userManagement?: { showSetupOnFirstLoad?: boolean } } }>('GET', '/rest/settings');
  if (settings?.data?.userManagement?.showSetupOnFirstLoad) {
    await session.json('POST', '/rest/owner/setup', { email: owner.email, firstName: 'Mls', lastName: 'Owner', password: owner.password });
    await store.save(owner);
    steps.push('owner-set-up');
    log(`  n8n owner set up (${owner.email}; password in ${store.describe})`);
  } else if (stored) {
    await session.json('POST', '/rest/login', { emailOrLdapLoginId: owner.email, password: owner.password });
    steps.push('signed-in');
  } else {
    throw new N8nOwnerError(
      `n8n at ${base} already has an owner whose credentials are not in ${store.describe}; register it with its own API key instead`,
      false,
    );
  }
  const scopes = await session.json<{ data: string[] }>('GET', '/rest/api-keys/scopes');
  const created = await session.json<{ data: { rawApiKey: string } }>('POST', '/rest/api-keys', {
    label: `mls monitor ${new Date().toISOString().slice(0, 19)}`,
    scopes: scopes.data,
    expiresAt: null,
  });
  const apiKey = created?.data?.rawApiKey;
  if (typeof apiKey !== 'string' || apiKey === '') throw new N8nOwnerError('n8n POST /rest/api-keys answered no rawApiKey', false);
  await store.save({ ...owner, apiKey });
  steps.push('key-created');
  log('  n8n API key created for the monitor');
  return { apiKey, owner, steps };
}

/** The port over ensureAccess for one n8n and one store. */
export const n8nOwnerAdapter = (url: string, store: N8nAccessStore, log: (line: string) => void, options: N8nOwnerOptions): N8nOwnerPort => ({
  ensureAccess: () => ensureAccess(url, store, log, options),
});
