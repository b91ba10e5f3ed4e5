/** API key use cases. Tenancy comes from the caller's principal, never from input. */
import { NotFoundError } from '#shared/errors.ts';
import { createdAtPosition, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal, Role } from '#shared/principal.ts';
import { apiKeyUserId, generateApiKey, type ApiKeyRecord, type ApiKeyRepository } from './api-key.ts';
import type { ApiKeyView, CreatedApiKey } from './platform.contracts.ts';

export const toApiKeyView = (r: ApiKeyRecord): ApiKeyView => ({
  keyId: r.keyId,
  tenantId: r.tenantId,
  name: r.name,
  role: r.role,
  prefix: r.prefix,
  createdAt: r.createdAt.toISOString(),
  createdBy: r.createdBy,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  revokedAt: r.revokedAt?.toISOString() ?? null,
});

export const issueApiKey = async (
  keys: ApiKeyRepository,
  input: { tenantId: string; name: string; role: Role; createdBy: string | null },
): Promise<CreatedApiKey> => {
  const key = generateApiKey();
  const record = await keys.insert({ ...input, keyId: key.keyId, hash: key.hash, prefix: key.prefix });
  return { ...toApiKeyView(record), apiKey: key.secret };
};

export const createApiKey = (keys: ApiKeyRepository, caller: Principal, input: { name: string; role: Role }): Promise<CreatedApiKey> =>
  issueApiKey(keys, { tenantId: caller.tenantId, name: input.name, role: input.role, createdBy: caller.userId });

const position = createdAtPosition;

export const listApiKeys = async (
  keys: ApiKeyRepository,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<ApiKeyView>> => {
  const after = decodeCursor(query.cursor, position);
  const rows = await keys.listByTenant(caller.tenantId, query.limit, after);
  return toPage(rows, query.limit, toApiKeyView, (r) => ({ createdAt: r.createdAt.toISOString(), id: r.keyId }));
};

/**
 * Ends a user's live sessions (WebSocket connections), which were authorized once at connect and would
 * otherwise outlive a revoked key. Best effort and never throws: the revocation already stands, and whatever
 * it misses is refused on its next action.
 */
export interface SessionTerminator {
  endSessionsOf(tenantId: string, userId: string): Promise<void>;
}

export const revokeApiKey = async (keys: ApiKeyRepository, sessions: SessionTerminator, caller: Principal, keyId: string): Promise<void> => {
  if (!(await keys.revoke(caller.tenantId, keyId))) throw new NotFoundError(`No API key ${keyId} in this tenant`);
  // Only once the revocation is committed: a connection ended earlier could reconnect with the still-valid key.
  await sessions.endSessionsOf(caller.tenantId, apiKeyUserId(keyId));
};
