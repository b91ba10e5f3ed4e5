/** Repositories wired to the shared pool, built once per cold start by the handlers that need them. */
import { getPool, withTransaction } from '#shared/db.ts';
import { ApiKeyRepository } from './api-key.repository.ts';
import type { InTransaction } from './tenant.service.ts';
import { TenantRepository } from './tenant.repository.ts';

export const apiKeys = async (): Promise<ApiKeyRepository> => new ApiKeyRepository(await getPool());
export const tenants = async (): Promise<TenantRepository> => new TenantRepository(await getPool());

export const inTransaction: InTransaction = (fn) =>
  withTransaction((client) => fn({ tenants: new TenantRepository(client), keys: new ApiKeyRepository(client) }));
