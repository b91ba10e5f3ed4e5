/**
 * Python through pyright's language server, run as a child process over stdio (`pyright-langserver
 * --stdio`) and spoken to with vscode-jsonrpc. Chosen over the CLI because the server stays up between
 * requests of a warm container and keeps typeshed's standard library parsed and bound (a warm request costs
 * tens of milliseconds, the CLI would pay its whole start-up every time), and over pyright's internals
 * in-process because the language server protocol is its public, stable interface. In Lambda the child
 * runs from the layer (/opt/nodejs/node_modules/pyright) on the function's own Node; it is frozen with the
 * container between invocations and restarted if it ever dies.
 *
 * Each request's files are written to their own folder under the OS temp directory (pyright resolves
 * imports on disk: `import b`, `from pkg.mod import x` and relative imports between the request's files),
 * opened, their diagnostics pulled (`textDocument/diagnostic`), then closed and deleted. Requests take turns
 * on the one server. No Python interpreter is consulted (deterministic: only typeshed's stubs are known).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { AppError } from '#shared/errors.ts';
import { logger } from '#shared/observability.ts';
import type { AnalysisInput, AnalysisResult, Analyzer } from '../analyzer.ts';
import type { AnalyzerInfo, CompletionItem, Diagnostic, Range } from '../ide-bridge.contracts.ts';
import { AnalyzerUnavailableError } from '../ide.errors.ts';
import { packageVersion, resolveModule } from './layer-modules.ts';

const PYTHON_EXTENSIONS = /\.pyi?$/i;
/** A request's analysis may not hold the server longer than this (the API answers within 29 s). */
const REQUEST_TIMEOUT_MS = 20_000;

interface LspDiagnostic {
  range: Range;
  severity?: number;
  code?: string | number;
  message: string;
}

interface LspCompletionItem {
  label: string;
  kind?: number;
  detail?: string;
  sortText?: string;
  insertText?: string;
  textEdit?: { range: Range; newText: string };
}

const SEVERITY: Record<number, Diagnostic['severity']> = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

/** Settings pyright asks its client for (`workspace/configuration`), by section. */
const SETTINGS: Record<string, unknown> = {
  // A path that does not exist: pyright then consults no interpreter and no site-packages.
  python: { pythonPath: '/nonexistent/python' },
  'python.analysis': { typeCheckingMode: 'standard', diagnosticMode: 'openFilesOnly', autoSearchPaths: false, useLibraryCodeForTypes: false },
};

interface Server {
  child: ChildProcess;
  connection: MessageConnection;
  root: string;
}

export class PyrightAnalyzer implements Analyzer {
  #server: Promise<Server> | undefined;
  #turn: Promise<unknown> = Promise.resolve();
  #requests = 0;

  info(): AnalyzerInfo {
    return { name: 'pyright', version: packageVersion('pyright') };
  }

  private start(): Promise<Server> {
    this.#server ??= (async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'mls-pyright-'));
      // Request folders go as each request ends; the (then empty) root goes with the process.
      process.once('exit', () => rmSync(root, { recursive: true, force: true }));
      // Only what Node and pyright need: the function's secrets stay out of the child's environment.
      const child = spawn(process.execPath, [resolveModule('pyright/langserver.index.js'), '--stdio'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), NODE_OPTIONS: '--max-old-space-size=1024' },
      });
      child.stderr?.on('data', (chunk: Buffer) => logger.debug('pyright stderr', { text: chunk.toString('utf8').slice(0, 2000) }));
      const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
      connection.onRequest('workspace/configuration', (params: { items: Array<{ section?: string }> }) =>
        params.items.map((item) => SETTINGS[item.section ?? ''] ?? null),
      );
      connection.onRequest(() => null);
      connection.onNotification(() => undefined);
      const reset = () => {
        this.#server = undefined;
        connection.dispose();
        rmSync(root, { recursive: true, force: true });
      };
      child.once('exit', (code, signal) => {
        logger.warn('pyright language server exited; the next request starts a new one', { code, signal });
        reset();
      });
      connection.listen();
      holdProcess({ child, connection, root }, true);
      const rootUri = pathToFileURL(root).href;
      await connection.sendRequest('initialize', {
        processId: process.pid,
        rootUri,
        workspaceFolders: [{ uri: rootUri, name: 'requests' }],
        capabilities: {
          textDocument: { diagnostic: { dynamicRegistration: false }, completion: { completionItem: { snippetSupport: false } } },
          workspace: { configuration: true, workspaceFolders: true },
        },
      });
      await connection.sendNotification('initialized', {});
      holdProcess({ child, connection, root }, false);
      return { child, connection, root };
    })();
    this.#server.catch(() => {
      this.#server = undefined;
    });
    return this.#server;
  }

  /** One request at a time on the server, each in its own folder, always cleaned up. */
  private session<T>(input: AnalysisInput, work: (server: Server, uriOf: (p: string) => string) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const server = await this.start();
      holdProcess(server, true);
      const dir = path.join(server.root, `r${++this.#requests}`);
      const names = new Map<string, string>();
      for (const file of input.files) {
        // A reported file without a Python extension is analyzed as Python all the same.
        const name = PYTHON_EXTENSIONS.test(file.path) || !input.report.includes(file.path) ? file.path : `${file.path}.py`;
        const full = path.join(dir, name);
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, file.content);
        names.set(file.path, name);
      }
      const uriOf = (p: string) => pathToFileURL(path.join(dir, names.get(p) ?? p)).href;
      const opened = input.files.filter((f) => PYTHON_EXTENSIONS.test(names.get(f.path)!));
      try {
        for (const file of opened) {
          await server.connection.sendNotification('textDocument/didOpen', {
            textDocument: { uri: uriOf(file.path), languageId: 'python', version: 1, text: file.content },
          });
        }
        return await withTimeout(work(server, uriOf), REQUEST_TIMEOUT_MS);
      } catch (error) {
        if (error instanceof AnalyzerUnavailableError) server.child.kill('SIGKILL');
        if (error instanceof AppError) throw error;
        logger.error('pyright request failed', error as Error);
        throw new AnalyzerUnavailableError('The Python analyzer failed on this request; try again');
      } finally {
        for (const file of opened) {
          try {
            await server.connection.sendNotification('textDocument/didClose', { textDocument: { uri: uriOf(file.path) } });
          } catch {
            // The server is gone (killed after a timeout): nothing to close.
          }
        }
        rmSync(dir, { recursive: true, force: true });
        holdProcess(server, false);
      }
    };
    const result = this.#turn.then(run, run);
    this.#turn = result.catch(() => undefined);
    return result;
  }

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    const diagnostics = await this.session(input, async (server, uriOf) => {
      const out: Diagnostic[] = [];
      for (const reported of input.report) {
        const report = (await server.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: uriOf(reported) } })) as {
          items?: LspDiagnostic[];
        };
        for (const d of report.items ?? []) {
          out.push({
            path: reported,
            range: d.range,
            severity: SEVERITY[d.severity ?? 1] ?? 'error',
            ...(d.code !== undefined ? { code: d.code } : {}),
            message: d.message,
            source: 'pyright',
          });
        }
      }
      return out;
    });
    return { analyzer: this.info(), diagnostics };
  }

  async complete(input: AnalysisInput, target: string, position: { line: number; character: number }, maxItems: number): Promise<CompletionItem[]> {
    return this.session(input, async (server, uriOf) => {
      const answer = (await server.connection.sendRequest('textDocument/completion', { textDocument: { uri: uriOf(target) }, position })) as
        | LspCompletionItem[]
        | { items: LspCompletionItem[] }
        | null;
      const items = (Array.isArray(answer) ? answer : (answer?.items ?? []))
        .sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label))
        .slice(0, maxItems);
      return items.map((item) => ({
        label: item.label,
        ...(item.kind !== undefined ? { kind: item.kind } : {}),
        ...(item.detail !== undefined ? { detail: item.detail } : {}),
        ...(item.sortText !== undefined ? { sortText: item.sortText } : {}),
        ...(item.insertText !== undefined ? { insertText: item.insertText } : {}),
        ...(item.textEdit?.range ? { textEdit: { range: item.textEdit.range, newText: item.textEdit.newText } } : {}),
        source: 'compiler' as const,
      }));
    });
  }
}

/**
 * An idle server must not keep the process alive (`npm start` exits on Ctrl-C, a test worker when it is done;
 * the child then sees its stdin close and exits too); a request in flight must, or a script awaiting it
 * would exit half way.
 */
const holdProcess = (server: Server, busy: boolean): void => {
  // The stdio pipes are sockets (ref/unref), though typed as plain streams.
  const pipes = [server.child.stdin, server.child.stdout, server.child.stderr] as unknown as Array<{ ref(): void; unref(): void } | null>;
  for (const handle of [server.child, ...pipes]) {
    if (!handle) continue;
    if (busy) handle.ref();
    else handle.unref();
  }
};

const withTimeout = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AnalyzerUnavailableError(`pyright did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};
