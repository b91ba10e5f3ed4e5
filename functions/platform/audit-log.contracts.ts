/** Request and response shapes of `GET /v1/audit` (the audit trail the HTTP stack writes, functions/shared/audit.ts). */
import * as z from 'zod';
import { cursorTimestamp, listQuery, pageSchema } from '#shared/pagination.ts';

const instant = cursorTimestamp.meta({ description: 'ISO 8601 date-time with offset', example: '2026-11-29T00:00:00Z' });

export const auditQuery = listQuery
  .extend({
    from: instant.optional().meta({ description: 'Entries at or after this instant' }),
    to: instant.optional().meta({ description: 'Entries before this instant' }),
    actor: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: "The principal's user id (`apikey:<keyId>` for API keys)", example: 'apikey:key_3kTMd9aQw0eR1xYz' }),
    resource: z
      .string()
      .regex(/^[a-z0-9-]{1,64}(\/[A-Za-z0-9_.:@-]{1,200})?$/, 'A resource type (`agents`) or type and id (`agents/agt_...`)')
      .optional()
      .meta({ description: 'A resource type, or type/id', example: 'agents' }),
    tenant: z.string().min(1).max(200).optional().meta({ description: "Platform admins only: one tenant's entries (default: every tenant's)" }),
  })
  .meta({ id: 'AuditQuery' });

export const auditEntry = z
  .object({
    entryId: z.string(),
    tenantId: z.string(),
    principal: z.string(),
    action: z.string().meta({ description: 'The route template', example: 'DELETE /v1/agents/{agentId}' }),
    resourceType: z.string().meta({ example: 'agents' }),
    resourceId: z.string().nullable(),
    status: z.int(),
    outcome: z.enum(['succeeded', 'rejected', 'failed']),
    requestId: z.string().nullable(),
    sourceIp: z.string().nullable(),
    at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'AuditEntry' });

export const auditPage = pageSchema(auditEntry).meta({ id: 'AuditPage' });

export type AuditEntryView = z.infer<typeof auditEntry>;
export type AuditQuery = z.output<typeof auditQuery>;
