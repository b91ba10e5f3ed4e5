/**
 * Request and response shapes of `POST /v1/protocols/compat`. The same schemas validate requests and feed the
 * OpenAPI document. Headers given for the server (its credentials) are sent to it and never returned.
 */
import * as z from 'zod';

// Set by the probe itself (the transport's headers), or meaningless to forward.
const reservedHeaders = new Set([
  'host',
  'content-type',
  'content-length',
  'accept',
  'connection',
  'transfer-encoding',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
]);

export const compatBody = z
  .strictObject({
    protocol: z.literal('mcp').meta({ description: 'Only MCP servers are probed for now' }),
    url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), 'No credentials in the URL; send them in headers')
      .refine((u) => !u.includes('#'), 'No fragment')
      .meta({ description: "The server's Streamable HTTP endpoint", example: 'https://mcp.example.com/mcp' }),
    headers: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9-]{1,64}$/, 'A header name (letters, digits, "-")')
          .refine((h) => !reservedHeaders.has(h.toLowerCase()), 'This header is set by the probe itself'),
        z
          .string()
          .max(4096)
          // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
          .regex(/^[^\u0000-\u001f\u007f]*$/, 'No control characters'),
      )
      .refine((h) => Object.keys(h).length <= 16, 'At most 16 headers')
      .optional()
      .meta({
        description: 'Sent with every request, e.g. { "Authorization": "Bearer ..." }; never returned',
        example: { Authorization: 'Bearer <token>' },
      }),
  })
  .meta({ id: 'ProtocolCompatRequest' });

const issue = z.object({ path: z.string(), message: z.string() });

export const compatCheck = z
  .object({
    id: z.string().meta({ example: 'tools/list@2026-07-28' }),
    title: z.string(),
    revision: z.string().optional(),
    status: z.enum(['passed', 'failed', 'skipped']),
    evidence: z.object({
      sent: z.string().optional(),
      httpStatus: z.int().optional(),
      contentType: z.string().optional(),
      response: z.unknown().optional(),
      errors: z.array(issue).optional(),
      note: z.string().optional(),
    }),
    ms: z.int(),
  })
  .meta({ id: 'ProtocolCompatCheck' });

export const compatReport = z
  .object({
    protocol: z.literal('mcp'),
    url: z.string(),
    passed: z.boolean().meta({ description: 'No check failed' }),
    summary: z.object({ passed: z.int(), failed: z.int(), skipped: z.int() }),
    revisions: z.array(z.string()).meta({ description: 'The revisions the server speaks' }),
    checks: z.array(compatCheck),
  })
  .meta({ id: 'ProtocolCompatReport' });

export type CompatBody = z.output<typeof compatBody>;
