/**
 * What the platform offers other domains: whether the credential behind a principal still holds. A WebSocket
 * connection is authorized once, at `$connect`, and lives for hours; realtime asks this before each action.
 */
import { getPool } from '#shared/db.ts';
import type { Principal } from '#shared/principal.ts';
import { PgApiKeyRepository } from './api-key.repository.ts';
import { apiKeyIdOf } from './api-key.ts';

export { API_KEY_USER_PREFIX, apiKeyIdOf } from './api-key.ts';

/** Whether a principal's credential is still live: not revoked. (Expiry travels with JWT principals.) */
export interface CredentialStatus {
  isActive(principal: Principal): Promise<boolean>;
}

/**
 * JWT principals cost nothing (a JWT cannot be revoked; its `exp` is checked by the caller); an API key
 * principal is one lookup by primary key, on the shared pool, opened only when a key principal asks.
 */
export const credentialStatus = (): CredentialStatus => ({
  isActive: async ({ userId, tenantId }) => {
    const keyId = apiKeyIdOf(userId);
    if (keyId === undefined) return true;
    return new PgApiKeyRepository(await getPool()).isActive(tenantId, keyId);
  },
});

/**
 * The platform's OpenAPI 3.1 document, exactly what `GET /openapi.json` answers (every domain's routes, from
 * the schemas that validate requests). Loaded on first call: it reads the gathered manifest, which a module
 * importing only `credentialStatus` should not carry into its cold start.
 */
export const openApiDocument = async (): Promise<Record<string, unknown>> =>
  (await import('./get-openapi.handler.ts')).openApiDocument() as unknown as Record<string, unknown>;
