/**
 * TypeScript and JavaScript through the TypeScript 6 compiler API (the last major with one; 7.x is native
 * and has none), over an in-memory file system from @typescript/vfs: the request's files under /workspace/,
 * the standard library's .d.ts files beside them. Imports between the request's files resolve like on disk.
 *
 * Warm requests reuse the parsed and bound standard library: every language service shares one document
 * registry whose lib documents are never released (per distinct set of parse-affecting options, which the
 * request schema bounds), while the request's own files are parsed fresh each time and never cached (two
 * requests may send different content under the same path). The last environment is kept for a request
 * that analyzes the same files again (fix: analyze, then ask the compiler for its fixes).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as VfsModule from '@typescript/vfs';
import type * as TS from 'typescript6';
import { ValidationError } from '#shared/errors.ts';
import type { AnalysisInput, AnalysisResult, Analyzer, CodeFix, Formatting } from '../analyzer.ts';
import { checkedOffset, rangeOf } from '../documents.ts';
import type { AnalyzerInfo, CompletionItem, Diagnostic, WorkspaceEdit } from '../ide-bridge.contracts.ts';
import { loadModule, packageRoot } from './layer-modules.ts';

type Ts = typeof TS;

const ROOT = '/workspace/';
const TS_EXTENSIONS = /\.(d\.[cm]?ts|[cm]?tsx?|[cm]?jsx?)$/i;
const defaultExtension: Record<string, string> = { typescript: '.ts', typescriptreact: '.tsx', javascript: '.js', javascriptreact: '.jsx' };

interface Env {
  key: string;
  ls: TS.LanguageService;
  /** Request path -> compiler file name, and back. */
  fileNameOf: Map<string, string>;
  pathOf: Map<string, string>;
  content: Map<string, string>;
}

const severityOf = (ts: Ts, category: TS.DiagnosticCategory): Diagnostic['severity'] =>
  category === ts.DiagnosticCategory.Error
    ? 'error'
    : category === ts.DiagnosticCategory.Warning
      ? 'warning'
      : category === ts.DiagnosticCategory.Suggestion
        ? 'hint'
        : 'information';

/** TypeScript's element kinds as LSP CompletionItemKind numbers (the mapping typescript-language-server uses). */
const completionKind: Record<string, number> = {
  keyword: 14,
  'primitive type': 14,
  var: 6,
  let: 6,
  const: 6,
  'local var': 6,
  alias: 6,
  parameter: 6,
  property: 10,
  getter: 10,
  setter: 10,
  function: 3,
  'local function': 3,
  method: 2,
  construct: 2,
  call: 2,
  index: 2,
  enum: 13,
  'enum member': 20,
  module: 9,
  'external module name': 9,
  class: 7,
  'local class': 7,
  type: 7,
  interface: 8,
  'type parameter': 25,
  script: 17,
  directory: 19,
  string: 21,
};

export class TypeScriptAnalyzer implements Analyzer {
  #ts: Ts | undefined;
  #vfs: typeof VfsModule | undefined;
  #libs: Map<string, string> | undefined;
  #registry: TS.DocumentRegistry | undefined;
  #last: Env | undefined;

  /** Loads the compiler and reads the standard library once per container (the cold part). */
  private load(): { ts: Ts; vfs: typeof VfsModule; libs: Map<string, string>; registry: TS.DocumentRegistry } {
    if (!this.#ts) {
      const ts = loadModule<Ts>('typescript6');
      const vfs = loadModule<typeof VfsModule>('@typescript/vfs');
      const libs = vfs.createDefaultMapFromNodeModules({}, ts as never, path.join(packageRoot('typescript6'), 'lib'));
      const shared = ts.createDocumentRegistry();
      const isLib = (fileName: string) => !fileName.startsWith(ROOT);
      const fresh = (
        fileName: string,
        snapshot: TS.IScriptSnapshot,
        version: string,
        kind: TS.ScriptKind | undefined,
        options: TS.CreateSourceFileOptions | TS.ScriptTarget | undefined,
      ) => ts.createLanguageServiceSourceFile(fileName, snapshot, options ?? ts.ScriptTarget.ES2022, version, true, kind);
      this.#registry = {
        ...shared,
        acquireDocumentWithKey: (fileName, filePath, settings, key, snapshot, version, kind, options) =>
          isLib(fileName)
            ? shared.acquireDocumentWithKey(fileName, filePath, settings, key, snapshot, version, kind, options)
            : fresh(fileName, snapshot, version, kind, options),
        updateDocumentWithKey: (fileName, filePath, settings, key, snapshot, version, kind, options) =>
          isLib(fileName)
            ? shared.updateDocumentWithKey(fileName, filePath, settings, key, snapshot, version, kind, options)
            : fresh(fileName, snapshot, version, kind, options),
        acquireDocument: (fileName, settings, snapshot, version, kind, options) =>
          isLib(fileName)
            ? shared.acquireDocument(fileName, settings, snapshot, version, kind, options)
            : fresh(fileName, snapshot, version, kind, options),
        updateDocument: (fileName, settings, snapshot, version, kind, options) =>
          isLib(fileName)
            ? shared.updateDocument(fileName, settings, snapshot, version, kind, options)
            : fresh(fileName, snapshot, version, kind, options),
        // The standard library stays for the next request; request files were never registered.
        releaseDocument: () => undefined,
        releaseDocumentWithKey: () => undefined,
      };
      this.#ts = ts;
      this.#vfs = vfs;
      this.#libs = libs;
    }
    return { ts: this.#ts, vfs: this.#vfs!, libs: this.#libs!, registry: this.#registry! };
  }

  info(): AnalyzerInfo {
    return { name: 'typescript', version: this.load().ts.version };
  }

  /** The request's options over the defaults; TypeScript's own validation decides what is valid (400 otherwise). */
  private compilerOptions(ts: Ts, input: AnalysisInput): TS.CompilerOptions {
    const js = input.language === 'javascript' || input.language === 'javascriptreact';
    const defaults = {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      jsx: 'preserve',
      strict: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      allowImportingTsExtensions: true,
      allowJs: true,
      checkJs: js,
    };
    const { options, errors } = ts.convertCompilerOptionsFromJson({ ...defaults, ...input.options }, ROOT);
    if (errors.length > 0) {
      throw new ValidationError('Invalid compiler options', [
        ...errors.map((e) => ({ path: 'body.options', message: ts.flattenDiagnosticMessageText(e.messageText, ' ') })),
      ]);
    }
    // Checking only: nothing is emitted, no @types are looked for, the standard library is trusted.
    return { ...options, noEmit: true, types: [], skipLibCheck: true, skipDefaultLibCheck: true };
  }

  private env(input: AnalysisInput): Env {
    const { ts, vfs, libs, registry } = this.load();
    const options = this.compilerOptions(ts, input);
    const key = createHash('sha256')
      .update(JSON.stringify([input.language, options, input.files.map((f) => [f.path, f.content]), input.report]))
      .digest('base64url');
    if (this.#last?.key === key) return this.#last;

    const map = new Map(libs);
    const fileNameOf = new Map<string, string>();
    const pathOf = new Map<string, string>();
    const content = new Map<string, string>();
    for (const file of input.files) {
      // A reported file without a TypeScript/JavaScript extension is read as the request's language; other
      // context files (README.md, data) cannot be imported and are left out, except JSON (resolveJsonModule).
      const known = TS_EXTENSIONS.test(file.path) || file.path.toLowerCase().endsWith('.json');
      if (!known && !input.report.includes(file.path)) continue;
      const fileName = `${ROOT}${file.path}${known ? '' : (defaultExtension[input.language] ?? '.ts')}`;
      map.set(fileName, file.content);
      fileNameOf.set(file.path, fileName);
      pathOf.set(fileName, file.path);
      content.set(file.path, file.content);
    }
    const roots = [...fileNameOf.values()].filter((name) => !name.toLowerCase().endsWith('.json'));
    const system = vfs.createSystem(map);
    const { languageServiceHost } = vfs.createVirtualLanguageServiceHost(system, roots, options as never, ts as never);
    const host = languageServiceHost as unknown as TS.LanguageServiceHost;
    // vfs's host has no snapshot for an empty file (it tests the text for truthiness); an empty file is a file.
    host.getScriptSnapshot = (fileName) => {
      const text = system.readFile(fileName);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    };
    const ls = ts.createLanguageService(host, registry);
    this.#last?.ls.dispose();
    this.#last = { key, ls, fileNameOf, pathOf, content };
    return this.#last;
  }

  private toDiagnostic(ts: Ts, env: Env, d: TS.Diagnostic): Diagnostic | undefined {
    const filePath = d.file && env.pathOf.get(d.file.fileName);
    if (filePath === undefined || d.start === undefined) return undefined;
    return {
      path: filePath,
      range: rangeOf(env.content.get(filePath)!, d.start, d.start + (d.length ?? 0)),
      severity: severityOf(ts, d.category),
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      source: 'ts',
    };
  }

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    const { ts } = this.load();
    const env = this.env(input);
    const diagnostics: Diagnostic[] = [];
    for (const reported of input.report) {
      const fileName = env.fileNameOf.get(reported);
      if (!fileName || fileName.toLowerCase().endsWith('.json')) continue;
      const syntactic = env.ls.getSyntacticDiagnostics(fileName);
      // Semantic checking of a file that does not parse mostly repeats the parse errors in other words.
      const all = syntactic.length > 0 ? syntactic : env.ls.getSemanticDiagnostics(fileName);
      for (const d of all) {
        const mapped = this.toDiagnostic(ts, env, d);
        if (mapped) diagnostics.push(mapped);
      }
    }
    return { analyzer: this.info(), diagnostics };
  }

  async complete(input: AnalysisInput, target: string, position: { line: number; character: number }, maxItems: number): Promise<CompletionItem[]> {
    const env = this.env(input);
    const fileName = env.fileNameOf.get(target);
    // JSON files are read (resolveJsonModule) but are not program roots: nothing to complete in them.
    if (!fileName || fileName.toLowerCase().endsWith('.json')) return [];
    const text = env.content.get(target)!;
    const offset = checkedOffset(text, position, 'body.position');
    const info = env.ls.getCompletionsAtPosition(fileName, offset, {
      includeCompletionsWithInsertText: true,
      includeCompletionsForModuleExports: false,
      includeCompletionsWithSnippetText: false,
    });
    if (!info) return [];
    // The compiler's own ranking: sortText (locals before globals before keywords), then the name.
    const entries = [...info.entries].sort((a, b) => a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name)).slice(0, maxItems);
    return entries.map((entry) => ({
      label: entry.name,
      kind: completionKind[entry.kind] ?? 10,
      detail: entry.kind,
      sortText: entry.sortText,
      ...(entry.insertText !== undefined ? { insertText: entry.insertText } : {}),
      ...(entry.replacementSpan
        ? {
            textEdit: {
              range: rangeOf(text, entry.replacementSpan.start, entry.replacementSpan.start + entry.replacementSpan.length),
              newText: entry.insertText ?? entry.name,
            },
          }
        : {}),
      source: 'compiler' as const,
    }));
  }

  async codeFixes(input: AnalysisInput, target: string, diagnostics: readonly Diagnostic[], formatting: Formatting): Promise<CodeFix[]> {
    const { ts } = this.load();
    const env = this.env(input);
    const fileName = env.fileNameOf.get(target);
    if (!fileName || fileName.toLowerCase().endsWith('.json')) return [];
    const text = env.content.get(target)!;
    const format = {
      ...ts.getDefaultFormatCodeSettings('\n'),
      tabSize: formatting.tabSize,
      indentSize: formatting.tabSize,
      convertTabsToSpaces: formatting.insertSpaces,
    };
    const preferences: TS.UserPreferences = {
      quotePreference: 'auto',
      importModuleSpecifierPreference: 'relative',
      includePackageJsonAutoImports: 'off',
    };
    const fixes: CodeFix[] = [];
    for (const diagnostic of diagnostics) {
      if (typeof diagnostic.code !== 'number' || diagnostic.path !== target) continue;
      const start = checkedOffset(text, diagnostic.range.start, 'diagnostic.range.start');
      const end = checkedOffset(text, diagnostic.range.end, 'diagnostic.range.end');
      let actions: readonly TS.CodeFixAction[];
      try {
        actions = env.ls.getCodeFixesAtPosition(fileName, start, end, [diagnostic.code], format, preferences);
      } catch {
        // The compiler has no fix provider for some codes and throws rather than answering none.
        continue;
      }
      for (const action of actions) {
        // Fixes that need a command run (installing an @types package) are not edits: leave them out.
        if (action.commands?.length) continue;
        const edit = this.workspaceEdit(env, action.changes);
        if (edit) fixes.push({ title: action.description, edit, fixes: diagnostic });
      }
    }
    return fixes;
  }

  private workspaceEdit(env: Env, changes: readonly TS.FileTextChanges[]): WorkspaceEdit | undefined {
    const out: WorkspaceEdit = { changes: {} };
    for (const change of changes) {
      const filePath = env.pathOf.get(change.fileName) ?? (change.fileName.startsWith(ROOT) ? change.fileName.slice(ROOT.length) : undefined);
      if (filePath === undefined) return undefined;
      const text = env.content.get(filePath) ?? '';
      out.changes[filePath] = change.textChanges.map((c) => ({
        range: rangeOf(text, c.span.start, c.span.start + c.span.length),
        newText: c.newText,
      }));
    }
    return Object.keys(out.changes).length > 0 ? out : undefined;
  }
}
