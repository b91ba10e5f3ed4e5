/** Tenant use cases. Admins of the default tenant are platform admins; only they manage tenants. */
import { DEFAULT_TENANT_ID } from '#shared/resources.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { createdAtPosition, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import { newId } from '#shared/ids.ts';
import { issueApiKey } from './api-key.service.ts';
import type { CreatedApiKey, TenantView } from './platform.contracts.ts';
import type { ApiKeyRepository } from './api-key.ts';
import type { TenantRecord, TenantRepository } from './tenant.ts';

export interface TenantStores {
  tenants: TenantRepository;
  keys: ApiKeyRepository;
}
/** Runs `fn` with repositories bound to one transaction. */
export type InTransaction = <T>(fn: (stores: TenantStores) => Promise<T>) => Promise<T>;

export const isPlatformAdmin = (p: Principal): boolean => p.tenantId === DEFAULT_TENANT_ID && p.roles.includes('admin');

const requirePlatformAdmin = (p: Principal): void => {
  if (!isPlatformAdmin(p)) throw new ForbiddenError('Only admins of the default tenant manage tenants');
};

const toTenantView = (t: TenantRecord): TenantView => ({ tenantId: t.tenantId, name: t.name, createdAt: t.createdAt.toISOString() });

export const createTenant = async (
  inTransaction: InTransaction,
  caller: Principal,
  input: { name: string; adminKeyName?: string | undefined },
): Promise<TenantView & { adminKey: CreatedApiKey }> => {
  requirePlatformAdmin(caller);
  return inTransaction(async ({ tenants, keys }) => {
    const tenant = await tenants.insert(newId('ten'), input.name);
    const adminKey = await issueApiKey(keys, {
      tenantId: tenant.tenantId,
      name: input.adminKeyName ?? 'admin',
      role: 'admin',
      // Not the caller: a platform admin belongs to another tenant, whose user ids the new tenant's admins
      // would read in their key list. The platform made this key, like the first key of `default`.
      createdBy: null,
    });
    return { ...toTenantView(tenant), adminKey };
  });
};

const position = createdAtPosition;

export const listTenants = async (
  tenants: TenantRepository,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<TenantView>> => {
  requirePlatformAdmin(caller);
  const rows = await tenants.list(query.limit, decodeCursor(query.cursor, position));
  return toPage(rows, query.limit, toTenantView, (t) => ({ createdAt: t.createdAt.toISOString(), id: t.tenantId }));
};

/** Bootstrap: an admin key in the default tenant, creating that tenant on first use. */
export const mintAdminKey = (inTransaction: InTransaction, name: string): Promise<{ keyId: string; apiKey: string; tenantId: string }> =>
  inTransaction(async ({ tenants, keys }) => {
    await tenants.ensure(DEFAULT_TENANT_ID, 'Default');
    const key = await issueApiKey(keys, { tenantId: DEFAULT_TENANT_ID, name, role: 'admin', createdBy: null });
    return { keyId: key.keyId, apiKey: key.apiKey, tenantId: DEFAULT_TENANT_ID };
  });
