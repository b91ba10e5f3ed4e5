/**
 * The languages the bridge analyzes, by LSP language id, and which analyzer serves each. Aliases are
 * accepted (`ts`, `py`, `bash`, ...) and answered under the canonical id.
 */
import { ValidationError } from '#shared/errors.ts';

export type AnalyzerKind = 'typescript' | 'pyright' | 'tree-sitter' | 'json' | 'yaml' | 'html';

export interface LanguageSpec {
  id: string;
  analyzer: AnalyzerKind;
  /** The tree-sitter grammar (file name part in @vscode/tree-sitter-wasm) for tree-sitter languages. */
  grammar?: string;
  aliases?: readonly string[];
}

export const LANGUAGES: readonly LanguageSpec[] = [
  { id: 'typescript', analyzer: 'typescript', aliases: ['ts'] },
  { id: 'typescriptreact', analyzer: 'typescript', aliases: ['tsx'] },
  { id: 'javascript', analyzer: 'typescript', aliases: ['js'] },
  { id: 'javascriptreact', analyzer: 'typescript', aliases: ['jsx'] },
  { id: 'python', analyzer: 'pyright', aliases: ['py'] },
  { id: 'go', analyzer: 'tree-sitter', grammar: 'go', aliases: ['golang'] },
  { id: 'rust', analyzer: 'tree-sitter', grammar: 'rust', aliases: ['rs'] },
  { id: 'java', analyzer: 'tree-sitter', grammar: 'java' },
  { id: 'csharp', analyzer: 'tree-sitter', grammar: 'c-sharp', aliases: ['c#', 'cs'] },
  // The C++ grammar parses C as well (it is a near superset); @vscode/tree-sitter-wasm ships no C grammar.
  { id: 'c', analyzer: 'tree-sitter', grammar: 'cpp' },
  { id: 'cpp', analyzer: 'tree-sitter', grammar: 'cpp', aliases: ['c++'] },
  { id: 'ruby', analyzer: 'tree-sitter', grammar: 'ruby', aliases: ['rb'] },
  { id: 'php', analyzer: 'tree-sitter', grammar: 'php' },
  { id: 'css', analyzer: 'tree-sitter', grammar: 'css' },
  { id: 'shellscript', analyzer: 'tree-sitter', grammar: 'bash', aliases: ['bash', 'sh', 'shell'] },
  { id: 'powershell', analyzer: 'tree-sitter', grammar: 'powershell', aliases: ['ps1'] },
  { id: 'ini', analyzer: 'tree-sitter', grammar: 'ini' },
  { id: 'json', analyzer: 'json' },
  { id: 'jsonc', analyzer: 'json' },
  { id: 'yaml', analyzer: 'yaml', aliases: ['yml'] },
  { id: 'html', analyzer: 'html', aliases: ['htm'] },
];

export const SUPPORTED_LANGUAGES: readonly string[] = LANGUAGES.map((l) => l.id);

const byName = new Map<string, LanguageSpec>(LANGUAGES.flatMap((l) => [[l.id, l] as const, ...(l.aliases ?? []).map((a) => [a, l] as const)]));

/** The language named in a request (case-insensitive, aliases allowed), or a 400 listing the supported ones. */
export const languageOf = (name: string, field = 'body.language'): LanguageSpec => {
  const spec = byName.get(name.trim().toLowerCase());
  if (!spec) {
    throw new ValidationError(`Unsupported language ${JSON.stringify(name)}`, [
      { path: field, message: `Unsupported language; supported: ${SUPPORTED_LANGUAGES.join(', ')}` },
    ]);
  }
  return spec;
};
