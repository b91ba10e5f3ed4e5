/**
 * LSP requests as MCP tools: which LSP method each tool stands for, its argument schema, and the conversions
 * both ways. The one table behind `POST /v1/protocols/translate` and `mls mcp-lsp`, so a tool call the bridge
 * serves and one the endpoint translates are the same.
 *
 * Positions: LSP counts lines and characters from 0, characters in UTF-16 code units; the MCP tools count
 * lines and columns from 1, columns in the same UTF-16 code units (so no document text is needed to convert,
 * and astral characters count 2 as in LSP). Every `{ line, character }` object anywhere in the params or the
 * result (ranges, locations, edits, diagnostics) becomes `{ line: line + 1, column: character + 1 }` and back;
 * opaque values (`data`, command `arguments`) are carried untouched. Everything else is carried as it is, so
 * LSP -> MCP -> LSP gives back exactly the LSP message (test/protocols/translate.test.ts checks each method).
 */
import * as z from 'zod';

/** Values LSP leaves to the client or server (LSPAny): never rewritten. */
const OPAQUE_KEYS = new Set(['data', 'arguments', 'experimental']);

type Json = unknown;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const isExactly = (o: Record<string, unknown>, a: string, b: string): boolean => {
  const keys = Object.keys(o);
  return keys.length === 2 && Number.isInteger(o[a]) && Number.isInteger(o[b]);
};

/** Every LSP Position (0-based line, UTF-16 character) as an MCP tool position (1-based line and column). */
export const positionsToMcp = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(positionsToMcp);
  if (!isObject(value)) return value;
  if ('line' in value && 'character' in value && isExactly(value, 'line', 'character')) {
    return { line: (value.line as number) + 1, column: (value.character as number) + 1 };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, OPAQUE_KEYS.has(k) ? v : positionsToMcp(v)]));
};

/** The inverse of positionsToMcp. */
export const positionsToLsp = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(positionsToLsp);
  if (!isObject(value)) return value;
  if ('line' in value && 'column' in value && isExactly(value, 'line', 'column')) {
    return { line: (value.line as number) - 1, character: (value.column as number) - 1 };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, OPAQUE_KEYS.has(k) ? v : positionsToLsp(v)]));
};

// ---------------------------------------------------------------------------------------------- tool schemas

const uri = z.string().min(1).max(4096).meta({
  description: 'The document: a file URI (file:///home/me/app/src/main.ts); `mls mcp-lsp` also takes a path relative to its workspace',
});
const line = z.int().min(1).max(10_000_000).meta({ description: '1-based line' });
const column = z.int().min(1).max(10_000_000).meta({ description: '1-based column, in UTF-16 code units (as LSP counts characters)' });
const mcpPosition = z.strictObject({ line, column });
const mcpRange = z.strictObject({ start: mcpPosition, end: mcpPosition }).meta({ description: '1-based, end exclusive' });

const atPosition = { uri, line, column };

/** Extra LSP fields (workDoneToken, partialResultToken, ...) are accepted and carried through. */
const args = <S extends z.core.$ZodLooseShape>(shape: S) => z.looseObject(shape);

export interface LspTool {
  /** The MCP tool name. */
  name: string;
  /** The LSP request it stands for. */
  method: string;
  title: string;
  description: string;
  /** Where in the document the request points: a position (`line`, `column`), a `range`, or the whole document. */
  anchor: 'position' | 'range' | 'document';
  input: z.ZodObject;
  /** LSP params fields the request requires that a tool caller may leave out, with their defaults. */
  defaults?: Record<string, unknown>;
}

export const LSP_TOOLS: readonly LspTool[] = [
  {
    name: 'diagnostics',
    method: 'textDocument/diagnostic',
    title: 'Diagnostics',
    description: "The document's errors and warnings from the language server (LSP textDocument/diagnostic), with 1-based ranges.",
    anchor: 'document',
    input: args({ uri, identifier: z.string().optional(), previousResultId: z.string().optional() }),
  },
  {
    name: 'completion',
    method: 'textDocument/completion',
    title: 'Completion',
    description: 'Completion items at a 1-based line and column (LSP textDocument/completion).',
    anchor: 'position',
    input: args({
      ...atPosition,
      context: z
        .looseObject({ triggerKind: z.int().min(1).max(3), triggerCharacter: z.string().optional() })
        .optional()
        .meta({ description: 'How completion was triggered: 1 invoked, 2 trigger character, 3 re-trigger' }),
    }),
  },
  {
    name: 'inline_completion',
    method: 'textDocument/inlineCompletion',
    title: 'Inline completion',
    description: 'Inline (ghost text) completions at a 1-based line and column (LSP textDocument/inlineCompletion).',
    anchor: 'position',
    input: args({
      ...atPosition,
      context: z
        .looseObject({ triggerKind: z.int().min(1).max(2), selectedCompletionInfo: z.looseObject({ range: mcpRange, text: z.string() }).optional() })
        .optional()
        .meta({ description: 'Default: invoked explicitly (triggerKind 1)' }),
    }),
    defaults: { context: { triggerKind: 1 } },
  },
  {
    name: 'code_actions',
    method: 'textDocument/codeAction',
    title: 'Code actions',
    description: 'Quick fixes and refactorings for a 1-based range (LSP textDocument/codeAction). Returns edits; nothing is applied.',
    anchor: 'range',
    input: args({
      uri,
      range: mcpRange,
      context: z
        .looseObject({
          diagnostics: z.array(z.looseObject({ range: mcpRange, message: z.string() })),
          only: z.array(z.string()).optional(),
          triggerKind: z.int().min(1).max(2).optional(),
        })
        .optional()
        .meta({ description: 'The diagnostics to fix (from the diagnostics tool) and the kinds wanted; default: none, any kind' }),
    }),
    defaults: { context: { diagnostics: [] } },
  },
  {
    name: 'hover',
    method: 'textDocument/hover',
    title: 'Hover',
    description: 'Type information and documentation of the symbol at a 1-based line and column (LSP textDocument/hover).',
    anchor: 'position',
    input: args(atPosition),
  },
  {
    name: 'definition',
    method: 'textDocument/definition',
    title: 'Go to definition',
    description: 'Where the symbol at a 1-based line and column is defined (LSP textDocument/definition).',
    anchor: 'position',
    input: args(atPosition),
  },
  {
    name: 'references',
    method: 'textDocument/references',
    title: 'Find references',
    description: 'Every reference to the symbol at a 1-based line and column (LSP textDocument/references).',
    anchor: 'position',
    input: args({
      ...atPosition,
      context: z.looseObject({ includeDeclaration: z.boolean() }).optional().meta({ description: 'Default: the declaration is included' }),
    }),
    defaults: { context: { includeDeclaration: true } },
  },
  {
    name: 'rename',
    method: 'textDocument/rename',
    title: 'Rename symbol',
    description: 'The workspace edit renaming the symbol at a 1-based line and column everywhere (LSP textDocument/rename). Nothing is applied.',
    anchor: 'position',
    input: args({ ...atPosition, newName: z.string().min(1).max(1000) }),
  },
  {
    name: 'format_document',
    method: 'textDocument/formatting',
    title: 'Format document',
    description: 'The edits that format the whole document (LSP textDocument/formatting). Nothing is applied.',
    anchor: 'document',
    input: args({
      uri,
      options: z
        .looseObject({ tabSize: z.int().min(1).max(32), insertSpaces: z.boolean() })
        .optional()
        .meta({ description: 'Default: 2 spaces' }),
    }),
    defaults: { options: { tabSize: 2, insertSpaces: true } },
  },
  {
    name: 'document_symbols',
    method: 'textDocument/documentSymbol',
    title: 'Document symbols',
    description: 'The outline of the document: classes, functions, variables with their 1-based ranges (LSP textDocument/documentSymbol).',
    anchor: 'document',
    input: args({ uri }),
  },
  {
    name: 'signature_help',
    method: 'textDocument/signatureHelp',
    title: 'Signature help',
    description: 'The signatures of the call at a 1-based line and column, and the active parameter (LSP textDocument/signatureHelp).',
    anchor: 'position',
    input: args({ ...atPosition, context: z.looseObject({}).optional() }),
  },
];

export const toolByName = new Map(LSP_TOOLS.map((t) => [t.name, t]));
export const toolByMethod = new Map(LSP_TOOLS.map((t) => [t.method, t]));

/** LSP request params -> the tool's arguments. */
export const paramsToArguments = (tool: LspTool, params: Record<string, unknown>): Record<string, unknown> => {
  const { textDocument, position, ...rest } = params;
  const doc = textDocument as { uri: string };
  const pos = position as { line: number; character: number } | undefined;
  return {
    uri: doc.uri,
    ...(tool.anchor === 'position' && pos ? { line: pos.line + 1, column: pos.character + 1 } : {}),
    ...(positionsToMcp(rest) as Record<string, unknown>),
  };
};

/** The tool's arguments (already checked against `tool.input`) -> LSP request params, defaults filled in. */
export const argumentsToParams = (tool: LspTool, args: Record<string, unknown>): Record<string, unknown> => {
  const { uri: docUri, line: l, column: c, ...rest } = args;
  return {
    ...(structuredClone(tool.defaults) ?? {}),
    textDocument: { uri: docUri },
    ...(tool.anchor === 'position' ? { position: { line: (l as number) - 1, character: (c as number) - 1 } } : {}),
    ...(positionsToLsp(rest) as Record<string, unknown>),
  };
};

/** An MCP CallToolResult (its JSON shape). */
export interface ToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** LSP's RequestFailed: the request was valid but the server could not answer it. */
export const LSP_REQUEST_FAILED = -32803;

/** An LSP result -> the tool result: `structuredContent.result` (1-based), mirrored as JSON text. */
export const resultToToolResult = (result: unknown): ToolResult => {
  const structuredContent = { result: positionsToMcp(result ?? null) as Json };
  return { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent };
};

/** An LSP error -> a tool error the caller (a model) reads; `structuredContent.error` keeps it exactly. */
export const errorToToolResult = (error: { code: number; message: string; data?: unknown }): ToolResult => ({
  isError: true,
  content: [{ type: 'text', text: `${error.message} (LSP error ${error.code})` }],
  structuredContent: { error },
});

/** The tool result -> the LSP result or error it carries. Text-only results are read as their JSON mirror. */
export const toolResultToLsp = (
  result: ToolResult,
): { result: unknown } | { error: { code: number; message: string; data?: unknown } } | { invalid: string } => {
  let structured = result.structuredContent;
  if (!structured) {
    const text = result.content?.find((c) => c?.type === 'text')?.text;
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as unknown;
        if (isObject(parsed)) structured = parsed;
      } catch {
        if (result.isError) return { error: { code: LSP_REQUEST_FAILED, message: text } };
      }
    }
  }
  if (result.isError) {
    const error = structured?.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    if (error && Number.isInteger(error.code) && typeof error.message === 'string') {
      return { error: { code: error.code as number, message: error.message, ...('data' in error && { data: error.data }) } };
    }
    const text = result.content?.find((c) => c?.type === 'text')?.text ?? 'The tool failed';
    return { error: { code: LSP_REQUEST_FAILED, message: text } };
  }
  if (!structured || !('result' in structured)) return { invalid: 'The tool result carries no `result` (structuredContent.result or its JSON text)' };
  return { result: positionsToLsp(structured.result) };
};

/** The tools as MCP lists them (`tools/list`): name, title, description, JSON Schema of the arguments. */
export const toolDefinitions = () =>
  LSP_TOOLS.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: z.toJSONSchema(t.input, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }));
