/**
 * Request and response shapes of `/v1/protocols` (the registry) and `/v1/protocols/validate`. The same
 * schemas validate requests and feed the OpenAPI document.
 */
import * as z from 'zod';
import { PROTOCOL_IDS } from './protocol.ts';

export const protocolId = z.enum(PROTOCOL_IDS).meta({ description: 'lsp, mcp or rest (the platform API)', example: 'mcp' });

const version = z
  .string()
  .min(1)
  .max(32)
  .meta({ description: 'A version the registry lists for the protocol (LSP 3.18; MCP 2026-07-28 or 2025-11-25; REST v1); default: the newest' });

const methodName = z.string().min(1).max(200);

const jsonSchema = z.record(z.string(), z.unknown()).meta({ description: 'A JSON Schema (its $schema names the draft)' });

export const methodInfo = z
  .object({
    name: z.string(),
    kind: z.enum(['request', 'notification']),
    direction: z.enum(['clientToServer', 'serverToClient', 'both']),
    route: z.string().optional().meta({ description: 'REST: the HTTP method and path template' }),
    summary: z.string().optional(),
    href: z.string().meta({ description: 'This method with its schemas', example: '/v1/protocols/lsp/methods/textDocument%2Fhover?version=3.18' }),
  })
  .meta({ id: 'ProtocolMethodInfo' });

export const methodSchemas = methodInfo
  .extend({
    protocol: protocolId,
    version: z.string(),
    params: jsonSchema.optional().meta({ description: 'What a request or notification carries (REST: path, query, headers, body)' }),
    result: jsonSchema.optional().meta({ description: 'What a successful response carries' }),
  })
  .meta({ id: 'ProtocolMethod' });

export const protocolVersion = z
  .object({
    version: z.string(),
    source: z.string().meta({ description: 'Where the schemas come from (a dependency, or the OpenAPI document)' }),
    methods: z.array(z.union([methodSchemas, methodInfo])),
  })
  .meta({ id: 'ProtocolVersion' });

export const protocolInfo = z
  .object({ id: protocolId, name: z.string(), versions: z.array(protocolVersion).meta({ description: 'Newest first' }) })
  .meta({ id: 'Protocol' });

export const listProtocolsQuery = z.object({
  include: z.enum(['schemas']).optional().meta({ description: '`schemas`: each method with its params and result schemas (large)' }),
});

export const protocolList = z.object({ items: z.array(protocolInfo) }).meta({ id: 'ProtocolList' });

export const methodParams = z.object({
  protocolId: z.string().min(1).max(40),
  method: methodName.meta({
    description: 'The method name, URL-encoded (`textDocument%2Fhover`); REST: an operationId (`createAgent`)',
    example: 'tools%2Fcall',
  }),
});

export const methodQuery = z.object({ version: version.optional() });

// ---------------------------------------------------------------------------------------------- validate

export const validationIssue = z
  .object({
    path: z.string().meta({ description: 'JSON Pointer (RFC 6901) into the message; "" is the message itself', example: '/params/position/line' }),
    message: z.string(),
  })
  .meta({ id: 'ProtocolValidationIssue' });

export const validateBody = z
  .strictObject({
    protocol: protocolId,
    version: version.optional(),
    message: z
      .unknown()
      .refine((m): boolean => m !== undefined, 'Required')
      .meta({
        description:
          'The message: LSP/MCP a JSON-RPC request, notification or response; REST `{ method, path, query?, headers?, body? }` or `{ method, path, status, body? }`',
      }),
    method: methodName.optional().meta({ description: 'For a JSON-RPC response: the method of the request it answers (its result is then checked)' }),
  })
  .meta({ id: 'ProtocolValidateRequest' });

export const validateResponse = z
  .object({
    valid: z.boolean(),
    protocol: protocolId,
    version: z.string(),
    kind: z.enum(['request', 'notification', 'response']).optional(),
    method: z.string().optional(),
    schema: z.string().optional().meta({ description: 'The schema the message was checked against' }),
    errors: z.array(validationIssue),
  })
  .meta({ id: 'ProtocolValidateResponse' });

export type ValidateBody = z.output<typeof validateBody>;
