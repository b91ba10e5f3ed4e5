/**
 * A stdio language server, driven as an editor would drive it: started as a child process, initialized with
 * the workspace root, documents opened from disk before a request names them (and re-sent when the file
 * changed on disk), requests the server sends to the client answered as a client that applies nothing would,
 * and published diagnostics kept for servers without pull diagnostics. Built on vscode-languageserver-protocol's
 * own connection (Content-Length framing, JSON-RPC ids, cancellation).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
  type ServerCapabilities,
} from 'vscode-languageserver-protocol/node';

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'typescriptreact',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascriptreact',
  '.py': 'python',
  '.pyi': 'python',
  '.go': 'go',
  '.rs': 'rust',
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.html': 'html',
  '.css': 'css',
  '.md': 'markdown',
  '.java': 'java',
  '.c': 'c',
  '.h': 'c',
  '.cpp': 'cpp',
  '.rb': 'ruby',
  '.php': 'php',
  '.sh': 'shellscript',
};

export interface LanguageServerOptions {
  command: string;
  args: string[];
  root: string;
  /** The language id for documents whose extension says nothing. */
  language?: string | undefined;
  log: (line: string) => void;
  /** How long a request may take (a cold project can take seconds). */
  requestTimeoutMs?: number;
}

interface OpenDocument {
  version: number;
  text: string;
}

/** Why a tool call could not be served (the file is not there, the server died): becomes a tool error. */
export class LanguageServerError extends Error {}

export class LanguageServer {
  readonly root: string;
  capabilities: ServerCapabilities = {};
  readonly exited: Promise<number | null>;
  private readonly process: ChildProcess;
  private readonly connection: ProtocolConnection;
  private readonly documents = new Map<string, OpenDocument>();
  private readonly published = new Map<string, { version: number | undefined; diagnostics: Diagnostic[] }>();
  private readonly diagnosticWaiters = new Set<() => void>();
  private readonly options: LanguageServerOptions;
  private closing = false;

  constructor(options: LanguageServerOptions) {
    this.options = options;
    this.root = path.resolve(options.root);
    // A relative command path (./node_modules/.bin/...) means the caller's directory, not the workspace.
    const command = options.command.includes('/') || options.command.includes('\\') ? path.resolve(options.command) : options.command;
    this.process = spawn(command, options.args, { cwd: this.root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code) => resolve(code));
      this.process.once('error', (error) => {
        options.log(`cannot start ${options.command}: ${error.message}`);
        resolve(null);
      });
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') options.log(`server: ${line}`);
    });
    this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    // What a client that shows nothing and applies nothing answers.
    this.connection.onRequest('workspace/configuration', (params: { items?: unknown[] }) => (params.items ?? []).map(() => null));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('client/unregisterCapability', () => null);
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('window/showMessageRequest', () => null);
    this.connection.onRequest('window/showDocument', () => ({ success: false }));
    this.connection.onRequest('workspace/applyEdit', () => ({ applied: false, failureReason: 'mls mcp-lsp returns edits; it applies none' }));
    this.connection.onRequest('workspace/workspaceFolders', () => [{ uri: pathToFileURL(this.root).href, name: path.basename(this.root) }]);
    this.connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
      this.published.set(params.uri, { version: params.version, diagnostics: params.diagnostics });
      for (const wake of this.diagnosticWaiters) wake();
    });
    this.connection.onNotification('window/logMessage', (params: { message: string }) => options.log(`server: ${params.message}`));
    this.connection.onError(([error]: [Error, unknown, number | undefined]) => options.log(`connection: ${error.message}`));
    this.connection.listen();
  }

  async initialize(): Promise<void> {
    const rootUri = pathToFileURL(this.root).href;
    const result = (await this.request('initialize', {
      processId: process.pid,
      clientInfo: { name: 'mls mcp-lsp', version: '1.0.0' },
      rootUri,
      rootPath: this.root,
      workspaceFolders: [{ uri: rootUri, name: path.basename(this.root) }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true, applyEdit: false },
        textDocument: {
          synchronization: { didSave: false, dynamicRegistration: false },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
          diagnostic: { relatedDocumentSupport: true },
          completion: { completionItem: { snippetSupport: false, insertReplaceSupport: true, labelDetailsSupport: true }, contextSupport: true },
          inlineCompletion: {},
          hover: { contentFormat: ['markdown', 'plaintext'] },
          signatureHelp: { signatureInformation: { parameterInformation: { labelOffsetSupport: true } }, contextSupport: true },
          definition: { linkSupport: true },
          references: {},
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          formatting: {},
          rename: { prepareSupport: false },
          codeAction: {
            codeActionLiteralSupport: {
              codeActionKind: {
                valueSet: ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.rewrite', 'source', 'source.organizeImports'],
              },
            },
            dataSupport: true,
          },
        },
        general: { positionEncodings: ['utf-16'] },
      },
    })) as { capabilities: ServerCapabilities };
    this.capabilities = result.capabilities ?? {};
    this.connection.sendNotification('initialized', {});
  }

  /** A path relative to the root, or a file URI, as the file URI the server knows. */
  uriOf(document: string): string {
    if (/^[a-z][a-z0-9+.-]*:/i.test(document) && !/^[a-z]:[\\/]/i.test(document)) return document;
    return pathToFileURL(path.resolve(this.root, document)).href;
  }

  /** Opens the document (or sends its new text when it changed on disk) so the server sees what is on disk. */
  async sync(uri: string): Promise<void> {
    if (!uri.startsWith('file:')) return;
    let text: string;
    try {
      text = await readFile(fileURLToPath(uri), 'utf8');
    } catch (error) {
      throw new LanguageServerError(`Cannot read ${uri}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const open = this.documents.get(uri);
    if (!open) {
      const languageId = LANGUAGE_BY_EXTENSION[path.extname(uri).toLowerCase()] ?? this.options.language ?? 'plaintext';
      this.documents.set(uri, { version: 1, text });
      this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    } else if (open.text !== text) {
      open.version += 1;
      open.text = text;
      this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: open.version }, contentChanges: [{ text }] });
    }
  }

  async request(method: string, params: unknown): Promise<unknown> {
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LanguageServerError(`The language server did not answer ${method} within ${timeoutMs} ms`)), timeoutMs);
    });
    const died = this.exited.then((code) => {
      throw new LanguageServerError(`The language server exited (${code ?? 'no exit code'})`);
    });
    try {
      return await Promise.race([this.connection.sendRequest(method, params), timeout, died]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The document's diagnostics: pulled (textDocument/diagnostic) when the server offers it, else the ones it
   * published for the current version, waiting for them a little (analysis follows didOpen/didChange).
   */
  async diagnostics(params: { textDocument: { uri: string } } & Record<string, unknown>): Promise<unknown> {
    if (this.capabilities.diagnosticProvider) return this.request('textDocument/diagnostic', params);
    const uri = params.textDocument.uri;
    const version = this.documents.get(uri)?.version;
    const current = () => {
      const p = this.published.get(uri);
      return p && (p.version === undefined || p.version === version) ? p : undefined;
    };
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? 30_000);
    while (!current() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.diagnosticWaiters.delete(wake);
          resolve();
        };
        this.diagnosticWaiters.add(wake);
        setTimeout(wake, 250);
      });
    }
    const p = current();
    if (!p) throw new LanguageServerError(`The language server published no diagnostics for ${uri}`);
    return { kind: 'full', items: p.diagnostics };
  }

  /** shutdown, exit, and the process gone (killed if it lingers). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const alive = () => this.process.exitCode === null && this.process.signalCode === null && this.process.pid !== undefined;
    if (!alive()) {
      this.connection.dispose();
      return;
    }
    const gone = Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((resolve) => setTimeout(resolve, 2000))]);
      this.connection.sendNotification('exit');
    } catch {
      // Already gone.
    }
    await gone;
    if (alive()) this.process.kill('SIGKILL');
    this.connection.dispose();
  }
}
