/**
 * Request and response shapes of `POST /v1/protocols/translate`. The same schemas validate requests and feed
 * the OpenAPI document.
 */
import * as z from 'zod';

export const translatable = z.enum(['lsp', 'mcp', 'rest']);

const workspaceDocument = z.strictObject({
  uri: z.string().min(1).max(4096),
  languageId: z.string().min(1).max(40).meta({ example: 'typescript' }),
  text: z.string().max(256 * 1024),
});

export const workspace = z
  .strictObject({
    rootUri: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .meta({ description: 'REST paths are relative to it; default file:///', example: 'file:///home/me/app/' }),
    documents: z
      .array(workspaceDocument)
      .max(64)
      .optional()
      .meta({ description: 'The text of the documents an LSP request names (what didOpen gave the server); needed to translate to REST' }),
    target: z.string().min(1).max(4096).optional().meta({ description: 'The document a REST response is about (default: the first document)' }),
  })
  .meta({ id: 'TranslationWorkspace' });

export const translateBody = z
  .strictObject({
    from: translatable,
    to: translatable,
    message: z
      .unknown()
      .refine((m): boolean => m !== undefined, 'Required')
      .meta({
        description:
          'LSP: a JSON-RPC request or response; MCP: a tools/call request or its response; REST: `{ method, path, body }` or `{ method, path, status, body }`',
      }),
    method: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'For a JSON-RPC response: the request it answers (the LSP method, or the MCP tool name)' }),
    workspace: workspace.optional(),
  })
  .refine((b) => b.from !== b.to, { message: 'from and to must differ', path: ['to'] })
  .meta({ id: 'ProtocolTranslateRequest' });

export const translateResponse = z
  .object({
    from: translatable,
    to: translatable,
    kind: z.enum(['request', 'response']),
    message: z.unknown().meta({ description: 'The message in the target protocol' }),
    method: z
      .string()
      .meta({ description: 'The method in the target protocol (an MCP tool name, an LSP method, a REST operation): pass it back with the response' }),
    documents: z
      .array(workspaceDocument)
      .optional()
      .meta({ description: 'REST -> LSP/MCP: the documents the REST body carried, for the LSP client to open first' }),
  })
  .meta({ id: 'ProtocolTranslateResponse' });

export type TranslateBody = z.output<typeof translateBody>;
export type TranslateResult = z.output<typeof translateResponse>;
