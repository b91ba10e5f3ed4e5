/**
 * API keys: `mls_<43 chars>` (32 random bytes, base64url). Only the sha256 hex of the secret is stored; the
 * `mls_` prefix lets the authorizer tell a key from a JWT in `Authorization: Bearer`.
 */
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

export const apiKeyUserId = (keyId: string): string => `apikey:${keyId}`;

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
