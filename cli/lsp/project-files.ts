/**
 * The project around an edited file, as context for the IDE bridge: the API analyzes only what a request
 * carries, so the language server sends the files the edited one needs, read from the folder the editor
 * opened (open documents as the editor has them, unsaved changes included), within a budget below the API's
 * limits (docs/ide-bridge.md, "LSP server"):
 *
 * 1. the file itself;
 * 2. what it imports, transitively (relative TypeScript/JavaScript imports, Python `import`/`from` of modules
 *    in the project): what its types and names come from;
 * 3. TypeScript declaration files (`*.d.ts`: global declarations reach every file);
 * 4. only when asked (`fill`: completion, fixes, generate, refactor): the other files of the language,
 *    nearest folders first, so that "add the missing import" finds what the file does not import yet.
 *
 * Other languages are analyzed file by file (their analyzers report parse errors), so they get no context.
 * Nothing is sent from ignored folders (node_modules, .git, build output, virtual environments, hidden
 * folders), and nothing that is not text.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { LIMITS, TS_OPTION_NAMES } from '#functions/ide-bridge/ide-bridge.contracts.ts';

export type Family = 'typescript' | 'python';

export interface SourceFile {
  path: string;
  content: string;
}

export interface ContextBudget {
  maxFiles: number;
  maxBytes: number;
}

/** Below the API's limits (64 files, 200 KiB): room for the JSON encoding and the rest of the request. */
export const DEFAULT_BUDGET: ContextBudget = { maxFiles: 40, maxBytes: 160 * 1024 };

export const clampBudget = (budget: Partial<ContextBudget>): ContextBudget => ({
  maxFiles: Math.max(1, Math.min(LIMITS.files, Math.floor(budget.maxFiles ?? DEFAULT_BUDGET.maxFiles))),
  maxBytes: Math.max(1024, Math.min(LIMITS.totalBytes - 16 * 1024, Math.floor(budget.maxBytes ?? DEFAULT_BUDGET.maxBytes))),
});

const FAMILY_FILES: Record<Family, RegExp> = {
  typescript: /\.(d\.[cm]?ts|[cm]?tsx?|[cm]?jsx?)$/i,
  python: /\.pyi?$/i,
};

export const familyOf = (language: string): Family | undefined => {
  if (/^(typescript|typescriptreact|javascript|javascriptreact|ts|tsx|js|jsx)$/i.test(language)) return 'typescript';
  if (/^(python|py)$/i.test(language)) return 'python';
  return undefined;
};

const IGNORED_DIRECTORIES = new Set([
  'node_modules',
  'bower_components',
  'dist',
  'build',
  'out',
  'coverage',
  'cdk.out',
  'target',
  '__pycache__',
  'venv',
  'env',
  'site-packages',
]);

// The API refuses these as binary (functions/ide-bridge/ide.service.ts): one such file would fail the request.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const BINARY = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/;

/** A path the API accepts (ide-bridge.contracts.ts `filePath`): relative, `/`-separated, no dot segments. */
export const isApiPath = (p: string): boolean =>
  p.length > 0 &&
  p.length <= LIMITS.pathLength &&
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  !/[\\\u0000-\u001f\u007f]/.test(p) &&
  !p.startsWith('/') &&
  !p.endsWith('/') &&
  !p.includes('//') &&
  p.split('/').every((s) => s !== '.' && s !== '..');

/** Text the API accepts as a file (no control characters, within the per-file limit). */
export const isSendable = (content: string): boolean => Buffer.byteLength(content, 'utf8') <= LIMITS.fileBytes && !BINARY.test(content);

const dirOf = (p: string): string => path.posix.dirname(p);
const inside = (p: string): string | undefined => {
  const normalized = path.posix.normalize(p);
  return normalized === '.' || normalized.startsWith('../') || normalized === '..' || normalized.startsWith('/') ? undefined : normalized;
};

/** Relative import specifiers of a TypeScript/JavaScript file (static, dynamic, re-exports, require). */
const tsImports = (content: string): string[] => {
  const found = new Set<string>();
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"\n]+)['"]/g,
    /\bimport\s*['"]([^'"\n]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
    /\/\/\/\s*<reference\s+path\s*=\s*['"]([^'"\n]+)['"]/g,
  ];
  for (const pattern of patterns) for (const match of content.matchAll(pattern)) found.add(match[1]!);
  return [...found].filter((s) => s.startsWith('./') || s.startsWith('../') || /^[\w-]+\.d\.ts$/.test(s));
};

const TS_EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.js', '.jsx', '.mts', '.cts', '.mjs', '.cjs'];

const tsCandidates = (from: string, specifier: string): string[] => {
  const base = inside(path.posix.join(dirOf(from), specifier));
  if (!base) return [];
  const out = [base];
  // `./x.js` in TypeScript source names `./x.ts` (NodeNext style).
  const swapped: Record<string, string[]> = {
    '.js': ['.ts', '.tsx', '.d.ts'],
    '.jsx': ['.tsx'],
    '.mjs': ['.mts', '.d.mts'],
    '.cjs': ['.cts', '.d.cts'],
  };
  const ext = path.posix.extname(base);
  for (const replacement of swapped[ext] ?? []) out.push(base.slice(0, -ext.length) + replacement);
  for (const e of TS_EXTENSIONS) out.push(base + e);
  for (const e of ['.ts', '.tsx', '.d.ts', '.js', '.jsx']) out.push(`${base}/index${e}`);
  return out;
};

/** Candidate files for the modules a Python file imports (relative, or absolute from the root or its folder). */
const pyCandidates = (from: string, content: string): string[] => {
  const out: string[] = [];
  const moduleFiles = (base: string, dotted: string): string[] => {
    const parts = dotted.split('.');
    const rel = inside(path.posix.join(base, ...parts));
    if (!rel) return [];
    // `import a.b.c` runs a/__init__.py and a/b/__init__.py too.
    const packages = parts.slice(0, -1).map((_, i) => inside(path.posix.join(base, ...parts.slice(0, i + 1), '__init__.py')));
    return [`${rel}.py`, `${rel}.pyi`, `${rel}/__init__.py`, ...packages.filter((p): p is string => p !== undefined)];
  };
  const names = (list: string, pattern = /^\w+$/): string[] =>
    list
      .replace(/[()]/g, '')
      .split(',')
      .map((n) =>
        n
          .trim()
          .split(/\s+as\s+/)[0]!
          .trim(),
      )
      .filter((n) => pattern.test(n));
  for (const line of content.split(/\r?\n/)) {
    const from_ = /^\s*from\s+(\.*)([\w.]*)\s+import\s+(.+)$/.exec(line);
    if (from_) {
      const [, dots = '', module = '', imported = ''] = from_;
      const bases = dots.length > 0 ? [path.posix.join(dirOf(from), ...Array(dots.length - 1).fill('..'))] : [dirOf(from), '.'];
      for (const base of bases) {
        if (module) out.push(...moduleFiles(base, module));
        for (const name of names(imported)) out.push(...moduleFiles(base, module ? `${module}.${name}` : name));
      }
      continue;
    }
    const plain = /^\s*import\s+([\w.,\s]+)$/.exec(line);
    if (plain) for (const module of names(plain[1]!, /^\w+(\.\w+)*$/)) for (const base of [dirOf(from), '.']) out.push(...moduleFiles(base, module));
  }
  return out;
};

/** How near two paths are: shared leading folders, more is nearer. */
const shared = (a: string, b: string): number => {
  const x = a.split('/').slice(0, -1);
  const y = b.split('/').slice(0, -1);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
};

export interface ContextRequest {
  target: SourceFile;
  family: Family | undefined;
  /** Open documents of this project by path, as the editor has them. */
  open: ReadonlyMap<string, string>;
  fill: boolean;
  budget: ContextBudget;
}

export class ProjectFiles {
  readonly root: string;
  private indexed: { at: number; paths: string[] } | undefined;
  private indexing: Promise<string[]> | undefined;
  private readonly cache = new Map<string, { key: string; content: string | undefined }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  constructor(root: string, options: { maxEntries?: number; ttlMs?: number } = {}) {
    this.root = root;
    this.maxEntries = options.maxEntries ?? 20_000;
    this.ttlMs = options.ttlMs ?? 5_000;
  }

  /** Relative paths of the project's TypeScript/JavaScript and Python files (walked again after a few seconds). */
  async index(): Promise<string[]> {
    if (this.indexed && Date.now() - this.indexed.at < this.ttlMs) return this.indexed.paths;
    this.indexing ??= this.walk().finally(() => {
      this.indexing = undefined;
    });
    return this.indexing;
  }

  private async walk(): Promise<string[]> {
    const paths: string[] = [];
    const wanted = new RegExp(`${FAMILY_FILES.typescript.source}|${FAMILY_FILES.python.source}`, 'i');
    const queue = [''];
    let seen = 0;
    while (queue.length > 0 && seen < this.maxEntries) {
      const dir = queue.shift()!;
      const entries = await readdir(path.join(this.root, dir), { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (++seen > this.maxEntries) break;
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        // Symbolic links are not followed: they may leave the project or loop.
        if (entry.isDirectory()) {
          if (!entry.name.startsWith('.') && !IGNORED_DIRECTORIES.has(entry.name)) queue.push(rel);
        } else if (entry.isFile() && wanted.test(entry.name) && isApiPath(rel)) {
          paths.push(rel);
        }
      }
    }
    this.indexed = { at: Date.now(), paths };
    return paths;
  }

  /** A project file's text, or undefined when it is missing, too large or not text. */
  async read(rel: string): Promise<string | undefined> {
    const file = path.join(this.root, ...rel.split('/'));
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile() || info.size > LIMITS.fileBytes) return undefined;
    const key = `${info.mtimeMs}:${info.size}`;
    const cached = this.cache.get(rel);
    if (cached?.key === key) return cached.content;
    const text = await readFile(file, 'utf8').catch(() => undefined);
    const content = text !== undefined && isSendable(text) ? text : undefined;
    this.cache.set(rel, { key, content });
    return content;
  }

  /** The files to send with `target` (target first), within the budget. */
  async context(request: ContextRequest): Promise<SourceFile[]> {
    const { target, family, open, budget } = request;
    const files = new Map<string, string>([[target.path, target.content]]);
    if (!family) return [target];
    let bytes = Buffer.byteLength(target.content, 'utf8');
    const add = (p: string, content: string): boolean => {
      if (files.has(p)) return false;
      const size = Buffer.byteLength(content, 'utf8');
      if (files.size >= budget.maxFiles || bytes + size > budget.maxBytes || !isSendable(content)) return false;
      files.set(p, content);
      bytes += size;
      return true;
    };
    const known = new Set([...(await this.index()), ...open.keys()]);
    const textOf = async (p: string): Promise<string | undefined> => open.get(p) ?? (await this.read(p));

    // What the file imports, breadth first, a few levels deep.
    let level: SourceFile[] = [target];
    for (let depth = 0; depth < 4 && level.length > 0; depth++) {
      const next: SourceFile[] = [];
      for (const file of level) {
        const groups =
          family === 'typescript'
            ? tsImports(file.content).map((s) => tsCandidates(file.path, s))
            : pyCandidates(file.path, file.content).map((c) => [c]);
        for (const candidates of groups) {
          // The first existing candidate is the import's file: `./x` -> x.ts, not also x.d.ts and x/index.ts.
          const found = candidates.find((c) => known.has(c));
          if (found === undefined || files.has(found)) continue;
          const content = await textOf(found);
          if (content !== undefined && add(found, content)) next.push({ path: found, content });
        }
      }
      level = next;
    }

    const pattern = FAMILY_FILES[family];
    const nearest = (paths: Iterable<string>) =>
      [...paths]
        .filter((p) => pattern.test(p) && !files.has(p))
        .sort((a, b) => shared(b, target.path) - shared(a, target.path) || a.split('/').length - b.split('/').length || a.localeCompare(b));
    if (family === 'typescript') {
      for (const p of nearest([...known].filter((k) => /\.d\.[cm]?ts$/i.test(k)))) {
        const content = await textOf(p);
        if (content !== undefined) add(p, content);
      }
    }
    if (request.fill) {
      for (const p of [...nearest(open.keys()), ...nearest(known)]) {
        if (files.size >= budget.maxFiles || bytes >= budget.maxBytes) break;
        const content = await textOf(p);
        if (content !== undefined) add(p, content);
      }
    }
    return [...files].map(([p, content]) => ({ path: p, content }));
  }

  /**
   * The `compilerOptions` of the project's tsconfig.json (or jsconfig.json) that the API takes; `extends` is
   * not followed. Undefined when there is none.
   */
  async tsOptions(): Promise<Record<string, unknown> | undefined> {
    for (const name of ['tsconfig.json', 'jsconfig.json']) {
      const text = await readFile(path.join(this.root, name), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const config = parseJsonc(text, [], { allowTrailingComma: true }) as { compilerOptions?: Record<string, unknown> } | undefined;
      const options = config?.compilerOptions;
      if (!options || typeof options !== 'object') return undefined;
      const allowed = new Set<string>(TS_OPTION_NAMES);
      const taken = Object.fromEntries(Object.entries(options).filter(([k]) => allowed.has(k)));
      return Object.keys(taken).length > 0 ? taken : undefined;
    }
    return undefined;
  }
}
