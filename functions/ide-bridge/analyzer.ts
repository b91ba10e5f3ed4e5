/**
 * The analyzer port: what the IDE use cases need from a language's real tooling (the TypeScript compiler,
 * pyright, tree-sitter grammars, the JSON/YAML/HTML parsers), in LSP terms. Adapters live in analyzers/;
 * nothing here knows a compiler.
 */
import type { AnalyzerInfo, CompletionItem, Diagnostic, Range, SourceFile, WorkspaceEdit } from './ide-bridge.contracts.ts';

export interface AnalysisInput {
  /** Every file of the request (imports between them resolve). */
  files: readonly SourceFile[];
  /** The files whose diagnostics are wanted (a subset of `files`' paths). */
  report: readonly string[];
  /** The LSP language id the request named (canonical form). */
  language: string;
  /** tsconfig-style compiler options (TypeScript only; validated by the analyzer). */
  options?: Record<string, unknown> | undefined;
}

export interface AnalysisResult {
  analyzer: AnalyzerInfo;
  diagnostics: Diagnostic[];
}

export interface CodeFix {
  title: string;
  edit: WorkspaceEdit;
  /** The diagnostic (of the input) the analyzer made this fix for. */
  fixes: Diagnostic;
}

export interface Analyzer {
  /** Name and version of the tool behind this analyzer (loads it on first use). */
  info(): AnalyzerInfo;
  analyze(input: AnalysisInput): Promise<AnalysisResult>;
  /** The analyzer's completions at `position` in `target`, best first; absent when the analyzer has none. */
  complete?(input: AnalysisInput, target: string, position: { line: number; character: number }, maxItems: number): Promise<CompletionItem[]>;
  /** The analyzer's own quick fixes for these diagnostics of `target`. */
  codeFixes?(input: AnalysisInput, target: string, diagnostics: readonly Diagnostic[], formatting: Formatting): Promise<CodeFix[]>;
}

export interface Formatting {
  tabSize: number;
  insertSpaces: boolean;
}

/** Where a diagnostic is, as a key that survives edits elsewhere in the file: same file, code and message. */
export const diagnosticKey = (d: Pick<Diagnostic, 'path' | 'code' | 'message'>): string => `${d.path}\u0000${String(d.code ?? '')}\u0000${d.message}`;

export const sameRange = (a: Range, b: Range): boolean =>
  a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
