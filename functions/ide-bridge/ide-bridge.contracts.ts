/**
 * Request and response shapes of the IDE bridge routes. The same schemas validate requests
 * (functions/shared/http.ts), feed the OpenAPI document, and are the MCP tools' input schemas (through
 * ide-bridge.public.ts). Positions and ranges are LSP's: 0-based line, UTF-16 code unit character; edits are
 * LSP `TextEdit`s grouped into a `WorkspaceEdit` keyed by the request's file paths.
 */
import type * as Lsp from 'vscode-languageserver-types';
import * as z from 'zod';

/** What one request may carry; beyond these the answer is 413 (see docs/ide-bridge.md). */
export const LIMITS = {
  files: 64,
  fileBytes: 128 * 1024,
  totalBytes: 200 * 1024,
  pathLength: 256,
  instructionChars: 4000,
  diagnosticsPerRequest: 200,
} as const;

/** Relative, `/`-separated, no `.`/`..` segments, no backslashes or control characters. */
export const filePath = z
  .string()
  .min(1)
  .max(LIMITS.pathLength)
  .regex(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    /^(?!\/)(?!.*\/\/)(?!.*\/$)[^\\\u0000-\u001f\u007f]+$/,
    'Expected a relative path like src/app.ts (forward slashes, no leading or trailing /)',
  )
  .refine((p) => p.split('/').every((segment) => segment !== '.' && segment !== '..'), 'Paths may not contain . or .. segments')
  .meta({ example: 'src/app.ts' });

export const sourceFile = z.strictObject({
  path: filePath,
  // The size limits are counted in bytes by the use case (413), not here (which would be a 400).
  content: z.string().meta({ description: 'The whole file, UTF-8 text', example: 'const x: number = "one";\n' }),
});

export const files = z
  .array(sourceFile)
  .min(1)
  .meta({ description: `The files of the project that matter for this request (at most ${LIMITS.files}, ${LIMITS.fileBytes} bytes each)` });

export const language = z.string().min(1).max(40).meta({
  description: 'An LSP language id (typescript, javascript, typescriptreact, python, go, rust, json, yaml, html, ...)',
  example: 'typescript',
});

export const position = z
  .strictObject({
    line: z.int().min(0).max(1_000_000),
    character: z.int().min(0).max(1_000_000).meta({ description: 'UTF-16 code units from the start of the line' }),
  })
  .meta({ id: 'IdePosition', description: 'LSP position: 0-based line, UTF-16 character' });

export const range = z.strictObject({ start: position, end: position }).meta({ id: 'IdeRange' });

/** The TypeScript compiler options a request may set (tsconfig names and values); others answer 400. */
export const TS_OPTION_NAMES = [
  'target',
  'lib',
  'module',
  'moduleResolution',
  'jsx',
  'jsxFactory',
  'jsxFragmentFactory',
  'jsxImportSource',
  'strict',
  'noImplicitAny',
  'strictNullChecks',
  'strictFunctionTypes',
  'strictBindCallApply',
  'strictPropertyInitialization',
  'strictBuiltinIteratorReturn',
  'noImplicitThis',
  'useUnknownInCatchVariables',
  'alwaysStrict',
  'noUnusedLocals',
  'noUnusedParameters',
  'exactOptionalPropertyTypes',
  'noImplicitReturns',
  'noFallthroughCasesInSwitch',
  'noUncheckedIndexedAccess',
  'noImplicitOverride',
  'noPropertyAccessFromIndexSignature',
  'allowUnreachableCode',
  'allowUnusedLabels',
  'allowJs',
  'checkJs',
  'esModuleInterop',
  'allowSyntheticDefaultImports',
  'isolatedModules',
  'verbatimModuleSyntax',
  'erasableSyntaxOnly',
  'allowImportingTsExtensions',
  'resolveJsonModule',
  'experimentalDecorators',
  'emitDecoratorMetadata',
  'useDefineForClassFields',
  'baseUrl',
  'paths',
] as const;

export const tsOptions = z.partialRecord(z.enum(TS_OPTION_NAMES), z.unknown()).meta({
  description: 'tsconfig `compilerOptions` (a documented subset); TypeScript and JavaScript only',
  example: { strict: true, target: 'ES2022' },
});

export const modelChoice = z
  .strictObject({
    provider: z.enum(['openai', 'anthropic']),
    name: z.string().trim().min(1).max(200).meta({ example: 'gpt-4o-mini' }),
  })
  .meta({ id: 'IdeModel', description: "The model to use; default: the deployment's ideDefaultModel setting" });

export const severity = z.enum(['error', 'warning', 'information', 'hint']).meta({ description: 'LSP DiagnosticSeverity 1-4, by name' });

export const diagnostic = z
  .object({
    path: z.string(),
    range,
    severity,
    code: z.union([z.int(), z.string()]).optional(),
    message: z.string(),
    source: z.string(),
  })
  .meta({ id: 'IdeDiagnostic' });

export const analyzerInfo = z
  .object({ name: z.string(), version: z.string(), detail: z.string().optional() })
  .meta({ id: 'IdeAnalyzer', example: { name: 'typescript', version: '6.0.3' } });

// ---------------------------------------------------------------------------------------------- analyze

export const analyzeRequest = z
  .strictObject({
    language,
    files,
    target: filePath.optional().meta({ description: "Only this file's diagnostics (the others are still read: imports resolve)" }),
    options: tsOptions.optional(),
  })
  .meta({ id: 'IdeAnalyzeRequest' });

export const analyzeResponse = z
  .object({
    language: z.string(),
    analyzer: analyzerInfo,
    analyzed: z.array(z.string()).meta({ description: 'Paths whose diagnostics are given (an absent path has none)' }),
    diagnostics: z.array(diagnostic),
  })
  .meta({ id: 'IdeAnalyzeResponse' });

// ---------------------------------------------------------------------------------------------- edits

export const textEdit = z.object({ range, newText: z.string() }).meta({ id: 'IdeTextEdit' });

export const workspaceEdit = z
  .object({ changes: z.record(z.string(), z.array(textEdit)) })
  .meta({ id: 'IdeWorkspaceEdit', description: "LSP WorkspaceEdit: file path -> TextEdits (non-overlapping, against the request's content)" });

const modelFields = { model: modelChoice.optional() };

// ---------------------------------------------------------------------------------------------- complete, inline

export const completeRequest = z
  .strictObject({
    language,
    files,
    target: filePath.meta({ description: 'The file the cursor is in' }),
    position,
    options: tsOptions.optional(),
    maxItems: z.int().min(1).max(500).default(100),
    useModel: z.boolean().default(true).meta({ description: "Also ask the model (costs tokens); false: the compiler's items only" }),
    ...modelFields,
  })
  .meta({ id: 'IdeCompleteRequest' });

export const completionItem = z
  .object({
    label: z.string(),
    kind: z.int().optional().meta({ description: 'LSP CompletionItemKind' }),
    detail: z.string().optional(),
    sortText: z.string().optional(),
    insertText: z.string().optional(),
    textEdit: textEdit.optional(),
    source: z.enum(['compiler', 'model']),
  })
  .meta({ id: 'IdeCompletionItem' });

export const modelOutcome = z
  .object({
    provider: z.string(),
    name: z.string(),
    status: z.enum(['ok', 'skipped', 'not-configured', 'failed']),
    detail: z.string().optional(),
    usage: z.object({ inputTokens: z.int(), outputTokens: z.int() }).optional(),
  })
  .meta({ id: 'IdeModelOutcome' });

export const completeResponse = z
  .object({
    items: z.array(completionItem),
    isIncomplete: z.boolean(),
    analyzer: analyzerInfo.nullable(),
    model: modelOutcome.nullable(),
  })
  .meta({ id: 'IdeCompleteResponse' });

export const inlineRequest = z
  .strictObject({
    language,
    files,
    target: filePath,
    position,
    maxLines: z.int().min(1).max(50).default(12),
    ...modelFields,
  })
  .meta({ id: 'IdeInlineRequest' });

export const inlineResponse = z
  .object({
    text: z.string().meta({ description: 'Text to insert at the position (empty: no suggestion)' }),
    range: range.meta({ description: 'Where it goes (an empty range at the position)' }),
    model: modelOutcome,
  })
  .meta({ id: 'IdeInlineResponse' });

// ---------------------------------------------------------------------------------------------- fix

export const diagnosticRef = z.strictObject({
  range,
  code: z.union([z.int(), z.string()]).optional(),
  message: z.string().max(4000).optional(),
});

export const fixRequest = z
  .strictObject({
    language,
    files,
    target: filePath.meta({ description: 'The file whose diagnostics are to be fixed' }),
    diagnostics: z
      .array(diagnosticRef)
      .min(1)
      .max(LIMITS.diagnosticsPerRequest)
      .optional()
      .meta({ description: "Which of the target's diagnostics to fix (as /analyze gave them); default: all its errors" }),
    options: tsOptions.optional(),
    useModel: z.boolean().default(true).meta({ description: "Ask the model for what the compiler's own fixes leave" }),
    formatting: z.strictObject({ tabSize: z.int().min(1).max(16), insertSpaces: z.boolean() }).optional(),
    ...modelFields,
  })
  .meta({ id: 'IdeFixRequest' });

export const proposedFix = z
  .object({
    title: z.string(),
    source: z.enum(['compiler', 'model']),
    edit: workspaceEdit,
    fixes: z.array(diagnostic).meta({ description: 'The diagnostics this edit makes go away' }),
  })
  .meta({ id: 'IdeProposedFix' });

export const rejectedEdit = z
  .object({
    source: z.literal('model'),
    reason: z.string(),
    introduced: z.array(diagnostic).optional(),
  })
  .meta({ id: 'IdeRejectedEdit' });

export const fixResponse = z
  .object({
    analyzer: analyzerInfo,
    diagnostics: z.array(diagnostic).meta({ description: 'The diagnostics that were to be fixed' }),
    fixes: z.array(proposedFix),
    rejected: z.array(rejectedEdit),
    unfixed: z.array(diagnostic),
    model: modelOutcome.nullable(),
  })
  .meta({ id: 'IdeFixResponse' });

// ---------------------------------------------------------------------------------------------- generate, refactor, explain

const instruction = z.string().trim().min(1).max(LIMITS.instructionChars);

export const generateRequest = z
  .strictObject({
    language,
    files,
    target: filePath.meta({ description: 'Where the code goes (may be a new path: the file is created)' }),
    instruction,
    position: position.optional().meta({ description: 'Insert here; default: the model edits the target as it sees fit' }),
    options: tsOptions.optional(),
    ...modelFields,
  })
  .meta({ id: 'IdeGenerateRequest' });

export const refactorRequest = z
  .strictObject({
    language,
    files,
    target: filePath,
    range,
    instruction,
    options: tsOptions.optional(),
    ...modelFields,
  })
  .meta({ id: 'IdeRefactorRequest' });

export const editResponse = z
  .object({
    edit: workspaceEdit.nullable().meta({ description: 'null when the model proposed nothing usable (see rejected)' }),
    explanation: z.string(),
    analyzer: analyzerInfo.nullable(),
    before: z.array(diagnostic).meta({ description: 'Errors of the affected files before the edit' }),
    after: z.array(diagnostic).meta({ description: 'Errors of the affected files after the edit' }),
    rejected: z.array(rejectedEdit),
    model: modelOutcome,
  })
  .meta({ id: 'IdeEditResponse' });

export const explainRequest = z
  .strictObject({
    language,
    files,
    target: filePath,
    range,
    question: z.string().trim().min(1).max(LIMITS.instructionChars).optional(),
    ...modelFields,
  })
  .meta({ id: 'IdeExplainRequest' });

export const explainResponse = z.object({ text: z.string(), model: modelOutcome }).meta({ id: 'IdeExplainResponse' });

export type SourceFile = z.output<typeof sourceFile>;
export type Position = z.output<typeof position>;
export type Range = z.output<typeof range>;
export type Diagnostic = z.output<typeof diagnostic>;
export type AnalyzerInfo = z.output<typeof analyzerInfo>;
export type TextEdit = z.output<typeof textEdit>;
export type WorkspaceEdit = z.output<typeof workspaceEdit>;
export type ModelChoice = z.output<typeof modelChoice>;
export type ModelOutcome = z.output<typeof modelOutcome>;
export type CompletionItem = z.output<typeof completionItem>;
export type RejectedEdit = z.output<typeof rejectedEdit>;
export type ProposedFix = z.output<typeof proposedFix>;
export type AnalyzeRequest = z.output<typeof analyzeRequest>;
export type AnalyzeResponse = z.output<typeof analyzeResponse>;
export type CompleteRequest = z.output<typeof completeRequest>;
export type CompleteResponse = z.output<typeof completeResponse>;
export type InlineRequest = z.output<typeof inlineRequest>;
export type InlineResponse = z.output<typeof inlineResponse>;
export type FixRequest = z.output<typeof fixRequest>;
export type FixResponse = z.output<typeof fixResponse>;
export type GenerateRequest = z.output<typeof generateRequest>;
export type RefactorRequest = z.output<typeof refactorRequest>;
export type EditResponse = z.output<typeof editResponse>;
export type ExplainRequest = z.output<typeof explainRequest>;
export type ExplainResponse = z.output<typeof explainResponse>;

// ---------------------------------------------------------------------------------------------- usage

export const MAX_USAGE_DAYS = 366;

export const usageQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Start of the window (inclusive); default 30 days before `to`' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'End of the window (exclusive); default now' }),
});

export const usageResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    items: z.array(
      z
        .object({ provider: z.string(), model: z.string(), calls: z.int(), inputTokens: z.int(), outputTokens: z.int() })
        .meta({ id: 'IdeUsageTotal' }),
    ),
  })
  .meta({ id: 'IdeUsage' });

export type UsageQuery = z.output<typeof usageQuery>;
export type UsageResponse = z.output<typeof usageResponse>;

/** The positions, ranges and edits above are LSP's own shapes, checked against vscode-languageserver-types when compiling. */
type Fits<Lsp, Ours extends Lsp> = Ours;
export type LspShapes = [Fits<Lsp.Position, Position>, Fits<Lsp.Range, Range>, Fits<Lsp.TextEdit, TextEdit>, Fits<Lsp.WorkspaceEdit, WorkspaceEdit>];
