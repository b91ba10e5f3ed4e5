/** Repositories wired to the shared pool, built once per cold start by the handlers that need them. */
import { getPool, withTransaction } from '#shared/db.ts';
import { PgApiKeyRepository } from './api-key.repository.ts';
import { PgAuditLogRepository } from './audit-log.repository.ts';
import type { AuditLogRepository } from './audit-log.ts';
import type { ApiKeyRepository } from './api-key.ts';
import type { InTransaction } from './tenant.service.ts';
import { PgTenantRepository } from './tenant.repository.ts';
import type { TenantRepository } from './tenant.ts';

export const apiKeys = async (): Promise<ApiKeyRepository> => new PgApiKeyRepository(await getPool());
export const auditLog = async (): Promise<AuditLogRepository> => new PgAuditLogRepository(await getPool());
export const tenants = async (): Promise<TenantRepository> => new PgTenantRepository(await getPool());

export const inTransaction: InTransaction = (fn) =>
  withTransaction((client) => fn({ tenants: new PgTenantRepository(client), keys: new PgApiKeyRepository(client) }));
