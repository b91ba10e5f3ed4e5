/**
 * Request and response shapes of the platform routes. The same schemas validate requests (functions/shared/
 * http.ts) and feed the OpenAPI document; `.meta({ id })` names a component there.
 */
import * as z from 'zod';
import { ROLES } from '#shared/principal.ts';
import { listQuery as sharedListQuery, pageSchema } from '#shared/pagination.ts';
import { idSchema } from '#shared/ids.ts';

export const role = z.enum(ROLES).meta({ id: 'Role', description: 'admin > developer > viewer' });

const name = z.string().trim().min(1).max(100);
const timestamp = z.iso.datetime({ offset: true });

export const healthResponse = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const principal = z
  .object({
    userId: z.string().meta({ example: 'apikey:key_3kTMd9aQw0eR1xYz' }),
    tenantId: z.string().meta({ example: 'default' }),
    roles: z.array(role),
  })
  .meta({ id: 'Principal' });

export const listQuery = sharedListQuery;

export const keyId = idSchema('key', 'a key');

export const keyIdParams = z.object({ keyId });

export const createApiKeyBody = z
  .strictObject({
    name: name.meta({ description: 'What the key is for', example: 'ci-pipeline' }),
    role: role.default('developer'),
  })
  .meta({ id: 'CreateApiKeyRequest' });

export const apiKey = z
  .object({
    keyId,
    tenantId: z.string(),
    name: z.string(),
    role,
    prefix: z.string().meta({ description: 'First characters of the secret, to recognise it', example: 'mls_Xk3pQ9aB' }),
    createdAt: timestamp,
    createdBy: z.string().nullable(),
    lastUsedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdApiKey = apiKey
  .extend({ apiKey: z.string().meta({ description: 'The secret; shown only in this response', example: 'mls_...' }) })
  .meta({ id: 'CreatedApiKey' });

export const apiKeyPage = pageSchema(apiKey).meta({ id: 'ApiKeyPage' });

export const createTenantBody = z
  .strictObject({
    name: name.meta({ example: 'Acme Corp' }),
    adminKeyName: name.optional().meta({ description: "Name of the tenant's first admin key", example: 'bootstrap' }),
  })
  .meta({ id: 'CreateTenantRequest' });

export const tenant = z
  .object({ tenantId: z.string().meta({ example: 'ten_Q2v9LmX0aB7cD1eF' }), name: z.string(), createdAt: timestamp })
  .meta({ id: 'Tenant' });

export const createdTenant = tenant.extend({ adminKey: createdApiKey }).meta({ id: 'CreatedTenant' });

export const tenantPage = pageSchema(tenant).meta({ id: 'TenantPage' });

export type ApiKeyView = z.infer<typeof apiKey>;
export type CreatedApiKey = z.infer<typeof createdApiKey>;
export type TenantView = z.infer<typeof tenant>;
