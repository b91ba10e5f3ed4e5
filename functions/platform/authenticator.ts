/**
 * Turns a credential (JWT or API key) into a principal, or throws UnauthorizedError. Knows nothing of
 * Lambda or pg: the API key lookup and the secrets come in as functions.
 *
 * Caching: API Gateway can only cache a REQUEST authorizer's result when every identity source is present,
 * and callers send either `Authorization` or `x-api-key`, so its cache is off (TTL 0). Verified JWTs are
 * therefore cached here, per container, in a bounded LRU keyed by the credential's sha256 for 60 s (never
 * past `exp`). API keys are NOT cached: each is one indexed lookup, and revocation must bite on the very
 * next request, which a per-container cache in another function could not promise.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { UnauthorizedError } from '#shared/errors.ts';
import { parseRoles, type Principal, type Role } from '#shared/principal.ts';
import { apiKeyUserId, isWellFormedApiKey, looksLikeApiKey, sha256Hex } from './api-key.ts';
import { headerOf, type Headers } from '#shared/headers.ts';

export interface AuthenticatorDeps {
  jwtSecret: () => Promise<string>;
  findApiKey: (hash: string) => Promise<{ keyId: string; tenantId: string; role: Role } | undefined>;
  oidc?: { issuer: string; jwksUrl?: string | undefined; audience?: string | undefined } | undefined;
  cacheTtlMs?: number;
  cacheSize?: number;
}

interface CacheEntry {
  principal: Principal;
  expiresAt: number;
}

/** Map keeps insertion order: re-inserting on hit makes the first key the least recently used. */
class LruCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  get(key: string, now: number): Principal | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.principal;
  }
  set(key: string, entry: CacheEntry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

const unauthorized = (reason: string): UnauthorizedError => new UnauthorizedError(reason);

const principalFromClaims = (claims: JWTPayload): Principal => {
  const tenantId = claims.tenant_id;
  if (typeof claims.sub !== 'string' || claims.sub === '') throw unauthorized('Token has no sub');
  if (typeof tenantId !== 'string' || tenantId === '') throw unauthorized('Token has no tenant_id');
  return { userId: claims.sub, tenantId, roles: parseRoles(claims.roles) };
};

export const createAuthenticator = (deps: AuthenticatorDeps) => {
  const ttlMs = deps.cacheTtlMs ?? 60_000;
  const cache = new LruCache(deps.cacheSize ?? 1000);
  const jwks = deps.oidc
    ? createRemoteJWKSet(new URL(deps.oidc.jwksUrl ?? `${deps.oidc.issuer.replace(/\/$/, '')}/.well-known/jwks.json`))
    : undefined;
  let hmacKey: Uint8Array | undefined;

  const verifyJwt = async (token: string): Promise<{ principal: Principal; exp: number }> => {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthorized('Malformed token');
    }
    try {
      if (deps.oidc && jwks && issuer === deps.oidc.issuer) {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: deps.oidc.issuer,
          ...(deps.oidc.audience ? { audience: deps.oidc.audience } : {}),
          requiredClaims: ['exp', 'sub'],
        });
        return { principal: principalFromClaims(payload), exp: payload.exp! };
      }
      hmacKey ??= new TextEncoder().encode(await deps.jwtSecret());
      const { payload } = await jwtVerify(token, hmacKey, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      return { principal: principalFromClaims(payload), exp: payload.exp! };
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      throw unauthorized('Token not valid');
    }
  };

  return async (credential: string | undefined, now = Date.now()): Promise<Principal> => {
    if (!credential) throw unauthorized('No credentials');
    if (looksLikeApiKey(credential)) {
      if (!isWellFormedApiKey(credential)) throw unauthorized('Malformed API key');
      const key = await deps.findApiKey(sha256Hex(credential));
      if (!key) throw unauthorized('Unknown or revoked API key');
      return { userId: apiKeyUserId(key.keyId), tenantId: key.tenantId, roles: [key.role] };
    }
    const cacheKey = sha256Hex(credential);
    const cached = cache.get(cacheKey, now);
    if (cached) return cached;
    const { principal, exp } = await verifyJwt(credential);
    cache.set(cacheKey, { principal, expiresAt: Math.min(now + ttlMs, exp * 1000) });
    return principal;
  };
};

/**
 * The credential of a request: `x-api-key`, else `Authorization: Bearer`, else, on a WebSocket `$connect`
 * only (browsers cannot set headers on the handshake), `?token=`. REST requests never take a credential from
 * the URL: URLs end up in access logs, proxies and browser history.
 */
export const credentialFrom = (headers: Headers, query: Record<string, string | undefined> | null | undefined): string | undefined => {
  const apiKey = headerOf(headers, 'x-api-key');
  if (apiKey) return apiKey.trim();
  const bearer = headerOf(headers, 'authorization')?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  return query?.token || undefined;
};
