/**
 * An LSP client for tests and the benchmark: starts `mls lsp --stdio` as a child process, as an editor would,
 * and speaks to it through vscode-languageserver-protocol's own connection (Content-Length framing, JSON-RPC
 * ids, cancellation). It records what the server sends (diagnostics, messages, progress, edits to apply) and
 * answers the server's requests as an editor that applies edits and picks a scripted choice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  ApplyWorkspaceEditRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageNotification,
  ShowMessageRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type ApplyWorkspaceEditParams,
  type ApplyWorkspaceEditResult,
  type ClientCapabilities,
  type InitializeResult,
  type MessageActionItem,
  type ProtocolConnection,
  type Range,
  type ShowMessageRequestParams,
} from 'vscode-languageserver-protocol/node';

export const MLS = path.resolve(import.meta.dirname, '../../cli/mls.ts');

/** What an editor with the usual abilities announces. */
export const EDITOR_CAPABILITIES: ClientCapabilities = {
  workspace: { applyEdit: true, workspaceEdit: { documentChanges: true, resourceOperations: ['create'] }, configuration: false },
  window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: false } } },
  textDocument: {
    synchronization: { dynamicRegistration: false },
    publishDiagnostics: { versionSupport: true },
    completion: { completionItem: { labelDetailsSupport: true } },
    inlineCompletion: {},
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor', 'source'] } } },
  },
};

export interface Received {
  method: string;
  params: any;
}

export interface LspClientOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** How the editor answers workspace/applyEdit (default: applied). */
  applyEdit?: (params: ApplyWorkspaceEditParams) => ApplyWorkspaceEditResult;
  /** How the user answers window/showMessageRequest (default: dismissed). */
  choose?: (params: ShowMessageRequestParams) => MessageActionItem | null;
}

export interface LspClient {
  connection: ProtocolConnection;
  child: ChildProcess;
  /** Everything the server sent, in order: notifications and requests (method and params). */
  received: Received[];
  stderr: () => string;
  /** Resolves with the first received message from index `after` on that matches. */
  waitFor: (method: string, predicate?: (params: any) => boolean, options?: { after?: number; timeoutMs?: number }) => Promise<any>;
  /** The received messages of `method` from index `after` on. */
  all: (method: string, after?: number) => any[];
  /** The current length of `received` (a mark for `waitFor`/`all`). */
  mark: () => number;
  initialize: (rootUri: string | null, initializationOptions?: unknown, capabilities?: ClientCapabilities) => Promise<InitializeResult>;
  open: (uri: string, languageId: string, text: string) => void;
  /** An incremental change; returns the document's new version. */
  change: (uri: string, range: Range, text: string) => number;
  close: (uri: string) => void;
  version: (uri: string) => number;
  /** shutdown, exit; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

export const startLspClient = (args: string[], options: LspClientOptions = {}): LspClient => {
  const env = { ...process.env };
  for (const name of ['MLS_URL', 'MLS_API_KEY', 'MLS_WORKSPACE', 'MLS_WS_URL']) delete env[name];
  const child = spawn(process.execPath, [MLS, 'lsp', '--stdio', ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const received: Received[] = [];
  const waiters = new Set<{ method: string; predicate: (p: any) => boolean; after: number; resolve: (p: any) => void }>();
  const record = (method: string, params: any) => {
    received.push({ method, params });
    const index = received.length - 1;
    for (const w of waiters) {
      if (w.method === method && index >= w.after && w.predicate(params)) {
        waiters.delete(w);
        w.resolve(params);
      }
    }
  };
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => record(PublishDiagnosticsNotification.method, p));
  connection.onNotification(ShowMessageNotification.type, (p) => record(ShowMessageNotification.method, p));
  connection.onNotification(LogMessageNotification.type, (p) => record(LogMessageNotification.method, p));
  // $/progress reaches only a handler for its token: one per token the server creates.
  connection.onRequest(WorkDoneProgressCreateRequest.type, (p) => {
    record(WorkDoneProgressCreateRequest.method, p);
    connection.onProgress(WorkDoneProgress.type, p.token, (value) => record('$/progress', { token: p.token, value }));
  });
  connection.onRequest(ApplyWorkspaceEditRequest.type, (p) => {
    record(ApplyWorkspaceEditRequest.method, p);
    return options.applyEdit?.(p) ?? { applied: true };
  });
  connection.onRequest(ShowMessageRequest.type, (p) => {
    record(ShowMessageRequest.method, p);
    return options.choose?.(p) ?? null;
  });
  connection.onRequest(ConfigurationRequest.type, (p) => {
    record(ConfigurationRequest.method, p);
    return p.items.map(() => null);
  });
  connection.onRequest(RegistrationRequest.type, (p) => {
    record(RegistrationRequest.method, p);
  });
  connection.listen();

  const versions = new Map<string, number>();
  return {
    connection,
    child,
    received,
    stderr: () => stderr,
    mark: () => received.length,
    all: (method, after = 0) =>
      received
        .slice(after)
        .filter((r) => r.method === method)
        .map((r) => r.params),
    waitFor: (method, predicate = () => true, { after = 0, timeoutMs = 20_000 } = {}) => {
      const seen = received.slice(after).find((r) => r.method === method && predicate(r.params));
      if (seen) return Promise.resolve(seen.params);
      return new Promise((resolve, reject) => {
        const waiter = {
          method,
          predicate,
          after,
          resolve: (p: any) => {
            clearTimeout(timer);
            resolve(p);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no ${method} within ${timeoutMs} ms; received ${JSON.stringify(received.slice(after)).slice(0, 2000)}\nstderr: ${stderr.slice(-1500)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    initialize: async (rootUri, initializationOptions, capabilities = EDITOR_CAPABILITIES) => {
      const result = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri,
        workspaceFolders: rootUri ? [{ uri: rootUri, name: 'project' }] : null,
        capabilities,
        clientInfo: { name: 'test-editor', version: '1.0' },
        ...(initializationOptions !== undefined && { initializationOptions }),
      });
      await connection.sendNotification(InitializedNotification.type, {});
      return result;
    },
    open: (uri, languageId, text) => {
      versions.set(uri, 1);
      void connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    },
    change: (uri, range, text) => {
      const version = (versions.get(uri) ?? 0) + 1;
      versions.set(uri, version);
      void connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ range, text }] });
      return version;
    },
    close: (uri) => {
      versions.delete(uri);
      void connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    },
    version: (uri) => versions.get(uri) ?? 0,
    stop: async () => {
      if (child.exitCode === null) {
        await Promise.race([connection.sendRequest(ShutdownRequest.type), exited]).catch(() => undefined);
        await connection.sendNotification(ExitNotification.type).catch(() => undefined);
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      connection.dispose();
      return code;
    },
  };
};
