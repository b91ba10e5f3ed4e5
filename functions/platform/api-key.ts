/**
 * API keys: `mls_<43 chars>` (32 random bytes, base64url). Only the sha256 hex of the secret is stored; the
 * `mls_` prefix lets the authorizer tell a key from a JWT in `Authorization: Bearer`.
 */
import type { CreatedAtPosition } from '#shared/pagination.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '#shared/principal.ts';
import { newId } from '#shared/ids.ts';

export const API_KEY_PREFIX = 'mls_';
const API_KEY_PATTERN = /^mls_[A-Za-z0-9_-]{43}$/;

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** `key_...`, `ten_...`: 12 random bytes, base64url. */

export const looksLikeApiKey = (credential: string): boolean => credential.startsWith(API_KEY_PREFIX);
export const isWellFormedApiKey = (credential: string): boolean => API_KEY_PATTERN.test(credential);

export interface NewApiKey {
  keyId: string;
  secret: string;
  hash: string;
  /** Shown in listings so people can tell keys apart; too short to help guess the secret. */
  prefix: string;
}

export const generateApiKey = (): NewApiKey => {
  const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { keyId: newId('key'), secret, hash: sha256Hex(secret), prefix: secret.slice(0, 12) };
};

/** The principal of an API key is `apikey:<keyId>`: tells key principals from JWT subjects anywhere. */
export const API_KEY_USER_PREFIX = 'apikey:';
export const apiKeyUserId = (keyId: string): string => `${API_KEY_USER_PREFIX}${keyId}`;
/** The key id behind a principal's user id, when it is an API key's. */
export const apiKeyIdOf = (userId: string): string | undefined =>
  userId.startsWith(API_KEY_USER_PREFIX) ? userId.slice(API_KEY_USER_PREFIX.length) : undefined;

export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  createdBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyInsert {
  keyId: string;
  tenantId: string;
  name: string;
  role: Role;
  hash: string;
  prefix: string;
  createdBy: string | null;
}

/** The storage port of API keys (PostgreSQL in api-key.repository.ts); only hashes are stored. */
export interface ApiKeyRepository {
  insert(key: ApiKeyInsert): Promise<ApiKeyRecord>;
  /** The live key with this secret hash, touching its last use (at most once a minute). */
  findActiveByHash(hash: string): Promise<{ keyId: string; tenantId: string; role: Role } | undefined>;
  listByTenant(tenantId: string, limit: number, after?: CreatedAtPosition): Promise<ApiKeyRecord[]>;
  /** False when the tenant has no such key (another tenant's key counts as none). Idempotent. */
  revoke(tenantId: string, keyId: string): Promise<boolean>;
  isActive(tenantId: string, keyId: string): Promise<boolean>;
}
