/**
 * The IDE bridge's use cases as MCP tools: analyze (the language's real analyzer), complete and fix (the
 * compiler's answers merged with the model's, checked by the analyzer). Argument schemas are the REST routes'
 * own (ide-bridge.public.ts); positions and ranges are LSP's (0-based line and UTF-16 character), as in REST.
 */
import { analyzeRequest, completeRequest, fixRequest, type ideUseCaseRoles, type ideUseCases } from '#functions/ide-bridge/ide-bridge.public.ts';
import { defineMcpTool, type McpTool } from './mcp-tool.ts';

export interface CodeToolsPorts {
  ide: ReturnType<typeof ideUseCases>;
  roles: typeof ideUseCaseRoles;
}

export const codeTools = ({ ide, roles }: CodeToolsPorts): McpTool[] => [
  defineMcpTool({
    name: 'analyze_code',
    title: 'Analyze code',
    description:
      "Diagnostics for the given files from the language's real analyzer (TypeScript compiler, pyright, tree-sitter, JSON/YAML/HTML parsers), " +
      'with LSP ranges (POST /v1/ide/analyze).',
    input: analyzeRequest,
    roles: roles.analyze,
    readOnly: true,
    run: async (principal, args) => ({ ...(await ide.analyze(principal, args)) }),
  }),
  defineMcpTool({
    name: 'complete_code',
    title: 'Complete code',
    description: "Completion items at a position in the target file: the compiler's, merged with the model's (POST /v1/ide/complete).",
    input: completeRequest,
    roles: roles.complete,
    readOnly: true,
    run: async (principal, args) => ({ ...(await ide.complete(principal, args)) }),
  }),
  defineMcpTool({
    name: 'fix_code',
    title: 'Fix code',
    description:
      "Edits that fix the target file's diagnostics: the compiler's own fixes first, then the model's, each re-analyzed and dropped if it " +
      'adds errors (POST /v1/ide/fix). Returns edits; nothing is written.',
    input: fixRequest,
    roles: roles.fix,
    readOnly: true,
    run: async (principal, args) => ({ ...(await ide.fix(principal, args)) }),
  }),
];
