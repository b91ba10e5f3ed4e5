/** Tenants: every stored resource belongs to one. */
import type { CreatedAtPosition } from '#shared/pagination.ts';
export interface TenantRecord {
  tenantId: string;
  name: string;
  createdAt: Date;
}

/** The storage port of tenants (PostgreSQL in tenant.repository.ts). */
export interface TenantRepository {
  insert(tenantId: string, name: string): Promise<TenantRecord>;
  ensure(tenantId: string, name: string): Promise<void>;
  list(limit: number, after?: CreatedAtPosition): Promise<TenantRecord[]>;
}
