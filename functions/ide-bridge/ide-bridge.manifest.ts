/**
 * The IDE bridge: code analysis by the real compilers and parsers, and model help (completion, inline
 * completion, fix, generate, refactor, explain) whose edits those analyzers check first. Each REST route is
 * declared once with the function that answers it; handlers import their route from here.
 *
 * Roles: anyone in the tenant may analyze (and read the tenant's token usage); the routes that may spend
 * model tokens need `developer` or `admin`.
 */
import { defineDomain, type Access, type LambdaSpec, type RestEndpoint } from '#shared/manifest.types.ts';
import * as c from './ide-bridge.contracts.ts';

const writers = ['admin', 'developer'] as const;
const tags = ['ide'];
const entry = (file: string): string => `functions/ide-bridge/${file}.handler.ts`;

/** Model calls (the agents domain's providers and keys) and the usage table. */
const usesModels = {
  database: true,
  secrets: ['openaiApiKey', 'anthropicApiKey'],
  settings: ['openaiBaseUrl', 'anthropicBaseUrl', 'ideDefaultModel'],
} as const satisfies Access;

/**
 * Functions that run analyzers: the layer, and room for them. 2 GB also buys the CPU (Lambda scales CPU with
 * memory) that type checking wants, and holds the TypeScript program and the pyright child process together.
 */
const analyzes = { layers: ['ideAnalyzers'], memoryMb: 2048, timeoutSeconds: 29 } as const satisfies Partial<LambdaSpec>;

const problems = {
  400: { description: 'Invalid request (each bad field named; unknown languages list the supported ones)' },
  413: { description: `Too many files (${c.LIMITS.files}), a file over ${c.LIMITS.fileBytes} bytes, or over ${c.LIMITS.totalBytes} bytes in all` },
};
const modelProblems = {
  ...problems,
  502: { description: 'The model provider failed' },
  503: { description: 'No model provider is configured for the model this request would use (or it is rate limited)' },
  504: { description: 'The model did not answer in time' },
};

export const analyzeRoute = {
  method: 'POST',
  path: '/v1/ide/analyze',
  readOnly: true,
  summary: "Diagnostics from the language's real analyzer (TypeScript compiler, pyright, tree-sitter, JSON/YAML/HTML parsers)",
  tags,
  request: { body: c.analyzeRequest },
  responses: { 200: { description: 'Diagnostics with LSP ranges', schema: c.analyzeResponse }, ...problems },
  lambda: { name: 'ide-analyze', entry: entry('analyze'), access: {}, ...analyzes },
} satisfies RestEndpoint;

export const completeRoute = {
  method: 'POST',
  path: '/v1/ide/complete',
  readOnly: true,
  roles: writers,
  rateLimit: { perMinute: 600 },
  summary: "Completion items at a position: the compiler's, merged with the model's (each marked with its source)",
  tags,
  request: { body: c.completeRequest },
  responses: { 200: { description: 'Completion items', schema: c.completeResponse }, ...problems },
  lambda: { name: 'ide-complete', entry: entry('complete'), access: usesModels, ...analyzes },
} satisfies RestEndpoint;

export const inlineRoute = {
  method: 'POST',
  path: '/v1/ide/inline',
  readOnly: true,
  roles: writers,
  rateLimit: { perMinute: 600 },
  summary: 'Inline completion at a position: the rest of the line or block, from the model',
  tags,
  request: { body: c.inlineRequest },
  responses: { 200: { description: 'Text to insert', schema: c.inlineResponse }, ...modelProblems },
  lambda: { name: 'ide-inline', entry: entry('inline'), access: usesModels, timeoutSeconds: 29 },
} satisfies RestEndpoint;

export const fixRoute = {
  method: 'POST',
  path: '/v1/ide/fix',
  readOnly: true,
  roles: writers,
  rateLimit: { perMinute: 120 },
  summary: "Edits fixing a file's diagnostics: the compiler's own fixes first, then the model's, re-analyzed and dropped if they add errors",
  tags,
  request: { body: c.fixRequest },
  responses: { 200: { description: 'Fixes, what each fixes, and what was refused', schema: c.fixResponse }, ...modelProblems },
  lambda: { name: 'ide-fix', entry: entry('fix'), access: usesModels, ...analyzes },
} satisfies RestEndpoint;

export const generateRoute = {
  method: 'POST',
  path: '/v1/ide/generate',
  readOnly: true,
  roles: writers,
  rateLimit: { perMinute: 120 },
  summary: 'New code or edits from an instruction, with the errors of the result',
  tags,
  request: { body: c.generateRequest },
  responses: { 200: { description: 'The edit (null when the model gave nothing usable)', schema: c.editResponse }, ...modelProblems },
  lambda: { name: 'ide-generate', entry: entry('generate'), access: usesModels, ...analyzes },
} satisfies RestEndpoint;

export const refactorRoute = {
  method: 'POST',
  path: '/v1/ide/refactor',
  readOnly: true,
  roles: writers,
  rateLimit: { perMinute: 120 },
  summary: 'Edits refactoring a range as instructed; dropped unless the result analyzes no worse than the input',
  tags,
  request: { body: c.refactorRequest },
  responses: { 200: { description: 'The edit (null when refused)', schema: c.editResponse }, ...modelProblems },
  lambda: { name: 'ide-refactor', entry: entry('refactor'), access: usesModels, ...analyzes },
} satisfies RestEndpoint;

export const explainRoute = {
  method: 'POST',
  path: '/v1/ide/explain',
  readOnly: true,
  roles: writers,
  rateLimit: { perMinute: 120 },
  summary: 'An explanation of a range of code, from the model',
  tags,
  request: { body: c.explainRequest },
  responses: { 200: { description: 'The explanation', schema: c.explainResponse }, ...modelProblems },
  lambda: { name: 'ide-explain', entry: entry('explain'), access: usesModels, timeoutSeconds: 29 },
} satisfies RestEndpoint;

export const usageRoute = {
  method: 'GET',
  path: '/v1/ide/usage',
  summary: "The tenant's model tokens spent by the IDE routes, per provider and model, in a window",
  tags,
  request: { query: c.usageQuery },
  responses: { 200: { description: 'Totals for calls in [from, to)', schema: c.usageResponse } },
  lambda: { name: 'ide-usage', entry: entry('usage'), access: { database: true } },
} satisfies RestEndpoint;

export const ideBridgeManifest = defineDomain({
  domain: 'ide-bridge',
  endpoints: [analyzeRoute, completeRoute, inlineRoute, fixRoute, generateRoute, refactorRoute, explainRoute, usageRoute],
  // Emitted by usage.repository.ts, per provider and route (not per tenant: the usage table has that).
  metrics: [
    { name: 'IdeModelInputTokens', title: 'IDE model input tokens', statistic: 'Sum', by: ['provider', 'route'] },
    { name: 'IdeModelOutputTokens', title: 'IDE model output tokens', statistic: 'Sum', by: ['provider', 'route'] },
  ],
});
