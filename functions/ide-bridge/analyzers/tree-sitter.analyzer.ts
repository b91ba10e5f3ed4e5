/**
 * Parse errors for the languages without a type checker here (Go, Rust, Java, C#, C/C++, Ruby, PHP, CSS,
 * shell, PowerShell, INI): web-tree-sitter 0.27 with the grammars VS Code itself ships in
 * @vscode/tree-sitter-wasm (built for the same tree-sitter ABI; `tree-sitter-wasms` is not). Each grammar is
 * loaded once per container. tree-sitter recovers from errors, leaving ERROR nodes (text it could not fit)
 * and MISSING nodes (tokens it had to assume); each becomes one diagnostic, outermost first.
 */
import path from 'node:path';
import type * as TreeSitter from 'web-tree-sitter';
import type { AnalysisInput, AnalysisResult, Analyzer } from '../analyzer.ts';
import { rangeOf } from '../documents.ts';
import type { AnalyzerInfo, Diagnostic } from '../ide-bridge.contracts.ts';
import { languageOf } from '../languages.ts';
import { loadModule, packageRoot, packageVersion } from './layer-modules.ts';

type TreeSitterModule = typeof TreeSitter;

/** Enough to find the problem; a file that is all errors would otherwise produce thousands. */
const MAX_PER_FILE = 100;

const snippet = (text: string): string => {
  const line = text.split(/\r?\n/, 1)[0]!.trim();
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
};

export class TreeSitterAnalyzer implements Analyzer {
  #module: Promise<TreeSitterModule> | undefined;
  readonly #parsers = new Map<string, Promise<TreeSitter.Parser>>();

  info(): AnalyzerInfo {
    return {
      name: 'tree-sitter',
      version: packageVersion('web-tree-sitter'),
      detail: `grammars from @vscode/tree-sitter-wasm ${packageVersion('@vscode/tree-sitter-wasm')}`,
    };
  }

  private parser(grammar: string): Promise<TreeSitter.Parser> {
    let parser = this.#parsers.get(grammar);
    if (!parser) {
      parser = (async () => {
        this.#module ??= (async () => {
          const module = loadModule<TreeSitterModule>('web-tree-sitter');
          await module.Parser.init();
          return module;
        })();
        const { Parser, Language } = await this.#module;
        const language = await Language.load(path.join(packageRoot('@vscode/tree-sitter-wasm'), 'wasm', `tree-sitter-${grammar}.wasm`));
        const created = new Parser();
        created.setLanguage(language);
        return created;
      })();
      parser.catch(() => this.#parsers.delete(grammar));
      this.#parsers.set(grammar, parser);
    }
    return parser;
  }

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    const grammar = languageOf(input.language).grammar!;
    const parser = await this.parser(grammar);
    const diagnostics: Diagnostic[] = [];
    for (const reported of input.report) {
      const content = input.files.find((f) => f.path === reported)!.content;
      const tree = parser.parse(content);
      if (!tree) continue;
      try {
        diagnostics.push(...this.errorsOf(tree.rootNode, reported, content));
      } finally {
        tree.delete();
      }
    }
    return { analyzer: this.info(), diagnostics };
  }

  private errorsOf(root: TreeSitter.Node, filePath: string, content: string): Diagnostic[] {
    const out: Diagnostic[] = [];
    const visit = (node: TreeSitter.Node): void => {
      if (out.length >= MAX_PER_FILE) return;
      if (node.isMissing) {
        out.push({
          path: filePath,
          range: rangeOf(content, node.startIndex, node.endIndex),
          severity: 'error',
          code: 'missing',
          message: `Syntax error: missing ${JSON.stringify(node.type)}`,
          source: 'tree-sitter',
        });
        return;
      }
      if (node.isError) {
        const text = content.slice(node.startIndex, node.endIndex);
        out.push({
          path: filePath,
          range: rangeOf(content, node.startIndex, node.endIndex),
          severity: 'error',
          code: 'syntax-error',
          message: text.trim() === '' ? 'Syntax error' : `Syntax error: unexpected ${JSON.stringify(snippet(text))}`,
          source: 'tree-sitter',
        });
        return;
      }
      if (!node.hasError) return;
      for (const child of node.children) if (child) visit(child);
    };
    visit(root);
    return out;
  }
}
