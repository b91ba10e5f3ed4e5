/**
 * `mls lsp`: a language server any editor can run, in front of the IDE bridge's REST routes
 * (docs/ide-bridge.md, "LSP server"). It keeps the editor's documents (incremental sync), and for each:
 *
 * - diagnostics: `POST /v1/ide/analyze` a moment after the last change (debounced per file; a result for a
 *   version the editor has already moved past is dropped), cleared when the file closes; other open files of
 *   the same language are checked again a little later (an edit can break the files that import it);
 * - `textDocument/completion` (`/complete`: the compiler's items; the model's too when `completion.useModel`),
 *   LSP 3.18 `textDocument/inlineCompletion` (`/inline`, the model);
 * - `textDocument/codeAction`: the compiler's quick fixes (`/fix` without the model), "Fix with AI", and
 *   refactor/generate actions that run `workspace/executeCommand` (`mls.fix`, `mls.refactor`,
 *   `mls.generate`, `mls.explain`) with an instruction argument; model calls report `$/progress`, and edits
 *   go back through `workspace/applyEdit`, versioned, so an edit computed for an older text is refused;
 * - project files as context (project-files.ts), bounded below the API's limits;
 * - with a workspace configured, presence and shared analyses on its channel (live-workspace.client.ts).
 *
 * When the platform is unreachable, unconfigured or refuses the key, it says so once (`window/showMessage`)
 * and keeps serving: documents stay in sync, requests answer empty, and everything resumes (diagnostics
 * re-run) once the platform answers again.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  CodeActionTriggerKind,
  DiagnosticSeverity,
  ErrorCodes,
  LSPErrorCodes,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  TextDocumentSyncKind,
  WorkDoneProgressReporter,
  type CancellationToken,
  type ClientCapabilities,
  type CodeAction,
  type CompletionItem,
  type CompletionItemKind,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type InitializeResult,
  type Range,
  type TextDocumentEdit,
  type CreateFile,
  type TextEdit,
  type WorkspaceEdit as LspWorkspaceEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as z from 'zod';
import type {
  AnalyzeResponse,
  Diagnostic as ApiDiagnostic,
  FixResponse,
  WorkspaceEdit as ApiWorkspaceEdit,
} from '#functions/ide-bridge/ide-bridge.contracts.ts';
import type { IdeApi, IdeApiError } from './ide-api.client.ts';
import { LiveWorkspace, type DiagnosticSummary } from './live-workspace.client.ts';
import { clampBudget, DEFAULT_BUDGET, familyOf, isApiPath, isSendable, ProjectFiles, type ContextBudget, type SourceFile } from './project-files.ts';

export const COMMANDS = ['mls.fix', 'mls.refactor', 'mls.generate', 'mls.explain'] as const;
export const GENERATE_KIND = 'refactor.generate';

/** Settings: `initializationOptions`, then the client's `mls` configuration section (docs/ide-bridge.md). */
export const settingsSchema = z.object({
  workspace: z.string().trim().min(1).max(100).optional().catch(undefined),
  model: z
    .object({ provider: z.enum(['openai', 'anthropic']), name: z.string().trim().min(1).max(200) })
    .optional()
    .catch(undefined),
  completion: z
    .object({ useModel: z.boolean().default(false).catch(false) })
    .default({ useModel: false })
    .catch({ useModel: false }),
  inlineCompletion: z
    .object({ enabled: z.boolean().default(true).catch(true), maxLines: z.int().min(1).max(50).default(12).catch(12) })
    .default({ enabled: true, maxLines: 12 })
    .catch({ enabled: true, maxLines: 12 }),
  diagnostics: z
    .object({ debounceMs: z.int().min(0).max(10_000).default(300).catch(300) })
    .default({ debounceMs: 300 })
    .catch({ debounceMs: 300 }),
  context: z
    .object({ maxFiles: z.int().min(1).optional().catch(undefined), maxBytes: z.int().min(1).optional().catch(undefined) })
    .default({})
    .catch({}),
  live: z
    .object({ shareDiagnostics: z.boolean().default(true).catch(true) })
    .default({ shareDiagnostics: true })
    .catch({ shareDiagnostics: true }),
});
export type Settings = z.output<typeof settingsSchema>;

export interface LspServerOptions {
  api: IdeApi;
  /** The WebSocket URL for a live workspace (flag or environment); else the discovery file's. */
  wsUrl?: string | undefined;
  /** `--workspace` / MLS_WORKSPACE; the editor's `workspace` setting is used when this is not given. */
  workspace?: string | undefined;
  version: string;
  /** Told the project folder the editor opened (where `.mls/local.json` is looked for first). */
  onRoot?: (folder: string) => void;
  /** Diagnostics for the stderr log (never the API key). */
  log: (line: string) => void;
}

type Severity = 'error' | 'warning' | 'info';

const SEVERITY: Record<ApiDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Language ids some editors use that the API knows by another name (it accepts its own aliases itself). */
const LANGUAGE_IDS: Record<string, string> = { 'c-sharp': 'csharp', zsh: 'shellscript', 'objective-c': 'c' };

const sameRange = (a: Range, b: Range): boolean =>
  a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;

const isEmptyRange = (r: Range): boolean => r.start.line === r.end.line && r.start.character === r.end.character;

const signalOf = (...tokens: Array<CancellationToken | undefined>): AbortSignal => {
  const controller = new AbortController();
  for (const token of tokens) {
    if (token?.isCancellationRequested) controller.abort();
    token?.onCancellationRequested(() => controller.abort());
  }
  return controller.signal;
};

// ---------------------------------------------------------------------------------------------- command arguments

const position = z.object({ line: z.int().min(0), character: z.int().min(0) });
const range = z.object({ start: position, end: position });
const instruction = z.string().trim().min(1).max(4000);
const commandArgs = {
  'mls.fix': z.object({
    uri: z.string().min(1),
    diagnostics: z
      .array(z.object({ range, code: z.union([z.int(), z.string()]).optional(), message: z.string().optional() }))
      .max(200)
      .optional(),
    useModel: z.boolean().default(true),
  }),
  'mls.refactor': z.object({ uri: z.string().min(1), range, instruction: instruction.optional() }),
  'mls.generate': z.object({
    uri: z.string().min(1),
    position: position.optional(),
    instruction: instruction.optional(),
    target: z.string().min(1).max(256).optional(),
  }),
  'mls.explain': z.object({ uri: z.string().min(1), range, question: instruction.optional() }),
} as const;

/** What a user can pick when an editor runs mls.refactor / mls.generate without an instruction. */
const CANNED: Record<'mls.refactor' | 'mls.generate', Array<{ title: string; instruction: string }>> = {
  'mls.refactor': [
    { title: 'Simplify', instruction: 'Simplify this code without changing what it does.' },
    { title: 'Add types and doc comments', instruction: 'Add precise types and short doc comments; change nothing else.' },
    { title: 'Better names', instruction: 'Give the variables and functions clearer names; change nothing else.' },
  ],
  'mls.generate': [
    { title: 'Implement what is described here', instruction: 'Implement what the surrounding comment or signature describes.' },
    { title: 'Write tests for this file', instruction: 'Write unit tests for this file.' },
  ],
};

// ---------------------------------------------------------------------------------------------- the server

interface Located {
  /** The project the file belongs to; undefined for files outside every workspace folder and unsaved buffers. */
  project: ProjectFiles | undefined;
  /** Its path in API requests (relative to the project). */
  path: string;
}

interface PreparedRequest {
  language: string;
  files: SourceFile[];
  target: string;
  options?: Record<string, unknown>;
  /** Request paths back to editor URIs, with the versions the request was built from (null: read from disk). */
  uris: Map<string, { uri: string; version: number | null }>;
  project: ProjectFiles | undefined;
}

export const startLspServer = (connection: Connection, options: LspServerOptions): void => {
  const { api, log } = options;
  const documents = new Map<string, TextDocument>();
  const projects: ProjectFiles[] = [];
  const said = new Set<string>();
  const unsupported = new Set<string>();
  const tsOptionsRefused = new Set<ProjectFiles>();
  const pending = new Map<string, { timer?: NodeJS.Timeout; running?: Promise<void>; again?: boolean }>();
  const fixes = new Map<string, { key: string; response: Promise<FixResponse> }>();
  /** What was last published per document: recognizes our diagnostics in editors that drop their `data`. */
  const published = new Map<string, LspDiagnostic[]>();
  let settings: Settings = settingsSchema.parse({});
  let capabilities: ClientCapabilities = {};
  let editorName: string | undefined;
  let live: LiveWorkspace | undefined;
  let shuttingDown = false;

  // ------------------------------------------------------------------ messages

  const show = (type: Severity, message: string): void => {
    log(message);
    // A notification (window/showMessage), not showMessageRequest: nothing to answer, nothing for the editor to keep open.
    const types: Record<Severity, MessageType> = { error: MessageType.Error, warning: MessageType.Warning, info: MessageType.Info };
    void connection.sendNotification(ShowMessageNotification.type, { type: types[type], message: `mls: ${message}` });
  };
  /** Says `message` once per `key` (until `unsay(key)`): an editor must not get one per keystroke. */
  const say = (key: string, type: Severity, message: string): void => {
    if (said.has(key)) return;
    said.add(key);
    show(type, message);
  };

  api.onRecovered(() => {
    said.delete('reach');
    said.delete('401');
    log(`the platform at ${api.url ?? '?'} answers again`);
    for (const uri of documents.keys()) schedule(uri, 0);
    ensureLive();
  });

  /** What a failed call means for the user; the caller answers empty. */
  const failed = (error: unknown, what: string, doc?: TextDocument): void => {
    const e = error as IdeApiError;
    switch (e.kind) {
      case 'cancelled':
        return;
      case 'unreachable':
      case 'unconfigured':
        say('reach', 'warning', `${e.message}. Documents stay in sync; diagnostics and completions resume once the platform answers.`);
        return;
      case 'timeout':
        log(`${what}: ${e.message}`);
        return;
      case 'http':
        break;
      default:
        log(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        return;
    }
    const detail = e.problem?.detail ?? e.message;
    if (e.status === 401) say('401', 'error', `The platform refused the API key (401): check --key, MLS_API_KEY or the editor's mls.apiKey setting`);
    else if (e.status === 403) say(`403:${what}`, 'warning', `${what}: not available to your role (403: ${detail})`);
    else if (e.status === 503 || e.status === 502 || e.status === 504) say(`${e.status}:${what}`, 'warning', `${what}: ${detail}`);
    else if (e.status === 429) say('429', 'warning', `Rate limited by the platform (429); ${what} resumes shortly`);
    else if (e.status === 400 && doc && e.names('body.language')) {
      unsupported.add(doc.languageId);
      log(`${doc.languageId} is not a language the IDE bridge analyzes (${detail})`);
    } else if ((e.status === 400 || e.status === 413) && doc) say(`bad:${doc.uri}`, 'warning', `${what} of ${doc.uri}: ${detail}`);
    else log(`${what}: ${e.message}`);
  };

  // ------------------------------------------------------------------ files and requests

  const projectOf = (fsPath: string): ProjectFiles | undefined =>
    projects
      .filter((p) => fsPath.startsWith(p.root.endsWith(path.sep) ? p.root : p.root + path.sep))
      .sort((a, b) => b.root.length - a.root.length)[0];

  const locate = (uri: string): Located => {
    const sanitized = (name: string) => name.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'file';
    if (uri.startsWith('file:')) {
      let fsPath: string;
      try {
        fsPath = fileURLToPath(uri);
      } catch {
        return { project: undefined, path: `external/${sanitized(uri.split('/').pop() ?? '')}` };
      }
      const project = projectOf(fsPath);
      const rel = project ? path.relative(project.root, fsPath).split(path.sep).join('/') : undefined;
      if (project && rel && isApiPath(rel)) return { project, path: rel };
      return { project: undefined, path: `external/${sanitized(path.basename(fsPath))}` };
    }
    return { project: undefined, path: `untitled/${sanitized(decodeURIComponent(uri.split(/[/:]/).pop() ?? ''))}` };
  };

  const languageOf = (doc: TextDocument): string => LANGUAGE_IDS[doc.languageId] ?? doc.languageId;

  const budget = (): ContextBudget => clampBudget({ ...DEFAULT_BUDGET, ...settings.context });

  /** The request for `doc`: its language, the project files it needs, and where edits to them go back to. */
  const prepare = async (doc: TextDocument, fill: boolean): Promise<PreparedRequest> => {
    const { project, path: target } = locate(doc.uri);
    const language = languageOf(doc);
    const uris = new Map<string, { uri: string; version: number | null }>([[target, { uri: doc.uri, version: doc.version }]]);
    const open = new Map<string, string>();
    if (project) {
      for (const other of documents.values()) {
        const where = locate(other.uri);
        if (where.project === project && other.uri !== doc.uri) {
          open.set(where.path, other.getText());
          uris.set(where.path, { uri: other.uri, version: other.version });
        }
      }
    }
    const family = familyOf(language);
    const files = project
      ? await project.context({ target: { path: target, content: doc.getText() }, family, open, fill, budget: budget() })
      : [{ path: target, content: doc.getText() }];
    for (const file of files) {
      if (!uris.has(file.path) && project)
        uris.set(file.path, { uri: pathToFileURL(path.join(project.root, ...file.path.split('/'))).href, version: null });
    }
    const tsOptions = project && family === 'typescript' && !tsOptionsRefused.has(project) ? await project.tsOptions() : undefined;
    return { language, files, target, ...(tsOptions && { options: tsOptions }), uris, project };
  };

  /** Posts with the project's tsconfig options; if the API refuses them (400 naming body.options), without. */
  const withOptions = async <T>(request: PreparedRequest, call: (options: Record<string, unknown> | undefined) => Promise<T>): Promise<T> => {
    try {
      return await call(request.options);
    } catch (error) {
      const e = error as IdeApiError;
      if (!request.options || !request.project || e.kind !== 'http' || e.status !== 400 || !e.names('body.options')) throw error;
      tsOptionsRefused.add(request.project);
      say(
        `tsconfig:${request.project.root}`,
        'warning',
        `tsconfig.json options refused by the analyzer, analyzing with the defaults: ${e.problem?.detail ?? e.message}`,
      );
      return call(undefined);
    }
  };

  const ready = (doc: TextDocument | undefined, what: string): doc is TextDocument => {
    if (!doc || unsupported.has(doc.languageId)) return false;
    if (!isSendable(doc.getText())) {
      say(`size:${doc.uri}`, 'warning', `${doc.uri} is over 128 KiB or not text: no ${what} for it`);
      return false;
    }
    return true;
  };

  /** Where the user is, for the live workspace (files outside the project are nobody's business). */
  const here = (uri: string, at: { line: number; character: number }): void => {
    if (!live) return;
    const where = locate(uri);
    if (where.project) live.presence(where.path, at.line, at.character);
  };

  // ------------------------------------------------------------------ edits back to the editor

  const uriFor = (request: PreparedRequest, requestPath: string, doc: TextDocument): string => {
    const known = request.uris.get(requestPath);
    if (known) return known.uri;
    if (request.project) return pathToFileURL(path.join(request.project.root, ...requestPath.split('/'))).href;
    // A new file beside an external one.
    const base = doc.uri.startsWith('file:') ? path.dirname(fileURLToPath(doc.uri)) : process.cwd();
    return pathToFileURL(path.join(base, path.posix.basename(requestPath))).href;
  };

  const toEdit = (request: PreparedRequest, edit: ApiWorkspaceEdit, doc: TextDocument): LspWorkspaceEdit => {
    const workspaceEdit = capabilities.workspace?.workspaceEdit;
    if (!workspaceEdit?.documentChanges) {
      return { changes: Object.fromEntries(Object.entries(edit.changes).map(([p, edits]) => [uriFor(request, p, doc), edits])) };
    }
    const canCreate = workspaceEdit.resourceOperations?.includes('create') ?? false;
    const documentChanges: Array<TextDocumentEdit | CreateFile> = [];
    for (const [p, edits] of Object.entries(edit.changes)) {
      const uri = uriFor(request, p, doc);
      const known = request.uris.get(p);
      const exists = known !== undefined || (uri.startsWith('file:') && existsSync(fileURLToPath(uri)));
      if (!exists && canCreate) documentChanges.push({ kind: 'create', uri, options: { ignoreIfExists: true } });
      // The version the edit was computed for: an editor refuses it if the text has moved on since.
      documentChanges.push({ textDocument: { uri, version: known?.version ?? null }, edits: edits as TextEdit[] });
    }
    return { documentChanges };
  };

  /** Applies through the editor; without versioned edits, checks itself that nothing changed meanwhile. */
  const applyEdit = async (label: string, request: PreparedRequest, edit: ApiWorkspaceEdit, doc: TextDocument) => {
    if (!capabilities.workspace?.workspaceEdit?.documentChanges) {
      for (const { uri, version } of request.uris.values()) {
        const now = documents.get(uri);
        if (version !== null && now && now.version !== version) {
          return { applied: false, failureReason: `${uri} changed while the model was working; run it again` };
        }
      }
    }
    const result = await connection.workspace.applyEdit({ label, edit: toEdit(request, edit, doc) });
    return { applied: result.applied, ...(result.failureReason && { failureReason: result.failureReason }) };
  };

  // ------------------------------------------------------------------ diagnostics

  const schedule = (uri: string, delayMs: number): void => {
    const state = pending.get(uri) ?? {};
    pending.set(uri, state);
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      run(uri);
    }, delayMs);
  };

  const run = (uri: string): void => {
    const state = pending.get(uri);
    if (!state || shuttingDown) return;
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = analyze(uri).finally(() => {
      state.running = undefined;
      if (state.again && pending.get(uri) === state) {
        state.again = false;
        run(uri);
      }
    });
  };

  const analyze = async (uri: string): Promise<void> => {
    const doc = documents.get(uri);
    if (!ready(doc, 'diagnostics')) return;
    const version = doc.version;
    let response: AnalyzeResponse;
    let request: PreparedRequest;
    try {
      request = await prepare(doc, false);
      response = await withOptions(request, (opts) =>
        api.post('analyze', { language: request.language, files: request.files, target: request.target, ...(opts && { options: opts }) }),
      );
    } catch (error) {
      failed(error, 'Analysis', doc);
      return;
    }
    // Closed, or changed since: the newer text gets its own analysis.
    if (documents.get(uri)?.version !== version) return;
    const mine = response.diagnostics.filter((d) => d.path === request.target);
    const diagnostics: LspDiagnostic[] = mine.map((d) => ({
      range: d.range,
      severity: SEVERITY[d.severity],
      ...(d.code !== undefined && { code: d.code }),
      source: d.source,
      message: d.message,
      data: { mls: true },
    }));
    published.set(uri, diagnostics);
    await connection.sendDiagnostics({ uri, version, diagnostics });
    if (live && settings.live.shareDiagnostics && request.project) {
      const counts = { error: 0, warning: 0, information: 0, hint: 0 };
      for (const d of mine) counts[d.severity]++;
      const summary: DiagnosticSummary = {
        path: request.target,
        analyzer: response.analyzer,
        counts,
        diagnostics: mine.map(({ path: _path, ...d }) => d),
        truncated: false,
      };
      live.diagnostics(summary);
    }
  };

  // ------------------------------------------------------------------ lifecycle

  connection.onInitialize((params): InitializeResult => {
    capabilities = params.capabilities;
    editorName = params.clientInfo?.name;
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    for (const uri of folders) {
      try {
        projects.push(new ProjectFiles(fileURLToPath(uri)));
      } catch {
        log(`workspace folder ${uri} is not a file: URI; ignored`);
      }
    }
    if (projects.length === 0 && params.rootPath) projects.push(new ProjectFiles(path.resolve(params.rootPath)));
    if (projects[0]) options.onRoot?.(projects[0].root);
    settings = settingsSchema.parse(params.initializationOptions ?? {});
    log(`serving ${projects.map((p) => p.root).join(', ') || 'files one by one (no workspace folder)'} for ${editorName ?? 'an editor'}`);
    return {
      capabilities: {
        positionEncoding: 'utf-16',
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: ['.', '"', "'", '/', '@', '<', ':'], resolveProvider: false },
        inlineCompletionProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite, GENERATE_KIND], resolveProvider: false },
        executeCommandProvider: { commands: [...COMMANDS] },
      },
      serverInfo: { name: 'mls', version: options.version },
    };
  });

  connection.onInitialized(async () => {
    if (capabilities.workspace?.configuration) {
      const fromClient = await connection.workspace.getConfiguration('mls').catch(() => undefined);
      if (fromClient && typeof fromClient === 'object') settings = settingsSchema.parse({ ...settings, ...(fromClient as object) });
    }
    try {
      api.current();
    } catch (error) {
      failed(error, 'Connection');
    }
    ensureLive();
  });

  connection.onDidChangeConfiguration(({ settings: changed }) => {
    const section = (changed as { mls?: unknown } | undefined)?.mls;
    if (section && typeof section === 'object') settings = settingsSchema.parse({ ...settings, ...section });
  });

  const ensureLive = (): void => {
    const workspaceId = options.workspace ?? settings.workspace;
    if (live || !workspaceId || shuttingDown) return;
    let connectionInfo: ReturnType<typeof api.current>;
    try {
      connectionInfo = api.current();
    } catch {
      return; // said already; tried again when the platform is back
    }
    const wsUrl = options.wsUrl ?? connectionInfo.wsUrl;
    if (!wsUrl) {
      say('live', 'error', `Live workspace ${workspaceId} needs the WebSocket URL: pass --ws-url or set MLS_WS_URL`);
      return;
    }
    live = new LiveWorkspace({
      wsUrl,
      token: connectionInfo.apiKey,
      workspaceId,
      editor: editorName,
      notify: (type, message) => say(`live:${message}`, type, message),
      log,
    });
    live.start();
  };

  connection.onShutdown(async () => {
    shuttingDown = true;
    for (const state of pending.values()) clearTimeout(state.timer);
    await live?.stop();
  });

  // ------------------------------------------------------------------ document sync

  connection.onDidOpenTextDocument(({ textDocument: t }) => {
    documents.set(t.uri, TextDocument.create(t.uri, t.languageId, t.version, t.text));
    schedule(t.uri, 0);
    here(t.uri, { line: 0, character: 0 });
  });

  connection.onDidChangeTextDocument(({ textDocument: t, contentChanges }) => {
    const doc = documents.get(t.uri);
    if (!doc) return;
    const updated = TextDocument.update(doc, contentChanges, t.version);
    documents.set(t.uri, updated);
    schedule(t.uri, settings.diagnostics.debounceMs);
    const last = contentChanges.at(-1);
    if (last && 'range' in last) here(t.uri, last.range.start);
    // Files that import this one may have broken (or healed): check the other open ones of its kind that name
    // it (its file name without extension, as imports do), a little later than the edited one.
    const { project, path: changed } = locate(t.uri);
    const family = familyOf(languageOf(updated));
    const stem = path.posix
      .basename(changed)
      .replace(/\.[^.]+$/, '')
      .replace(/\.d$/, '');
    if (project && family && stem) {
      for (const other of documents.values()) {
        if (other.uri === t.uri || familyOf(languageOf(other)) !== family || locate(other.uri).project !== project) continue;
        if (other.getText().includes(stem)) schedule(other.uri, settings.diagnostics.debounceMs * 3 + 200);
      }
    }
  });

  connection.onDidCloseTextDocument(({ textDocument: t }) => {
    documents.delete(t.uri);
    clearTimeout(pending.get(t.uri)?.timer);
    pending.delete(t.uri);
    fixes.delete(t.uri);
    published.delete(t.uri);
    said.delete(`bad:${t.uri}`);
    void connection.sendDiagnostics({ uri: t.uri, diagnostics: [] });
  });

  connection.onNotification('mls/cursor', (params: { uri?: unknown; position?: { line?: unknown; character?: unknown } }) => {
    const { uri, position: at } = params ?? {};
    if (typeof uri === 'string' && documents.has(uri) && typeof at?.line === 'number' && typeof at.character === 'number') {
      here(uri, { line: at.line, character: at.character });
    }
  });

  // ------------------------------------------------------------------ completion

  connection.onCompletion(async (params, token) => {
    const doc = documents.get(params.textDocument.uri);
    if (!ready(doc, 'completion')) return null;
    here(doc.uri, params.position);
    try {
      const request = await prepare(doc, true);
      const response = await withOptions(request, (opts) =>
        api.post(
          'complete',
          {
            language: request.language,
            files: request.files,
            target: request.target,
            position: params.position,
            useModel: settings.completion.useModel,
            maxItems: 100,
            ...(opts && { options: opts }),
            ...(settings.model && { model: settings.model }),
          },
          signalOf(token),
        ),
      );
      if (response.model?.status === 'not-configured')
        say('503:Completion', 'warning', `Completion: ${response.model.detail ?? 'no model provider is configured'}`);
      // Each item says where it came from: the compiler, or the model (whose items may be wrong).
      const items: CompletionItem[] = response.items.map(({ source, kind, ...item }) => ({
        ...item,
        ...(kind !== undefined && { kind: kind as CompletionItemKind }),
        labelDetails: { description: source },
        data: { source },
      }));
      return { isIncomplete: response.isIncomplete, items };
    } catch (error) {
      failed(error, 'Completion', doc);
      return { isIncomplete: false, items: [] };
    }
  });

  connection.languages.inlineCompletion.on(async (params, token) => {
    const doc = documents.get(params.textDocument.uri);
    if (!settings.inlineCompletion.enabled || !ready(doc, 'inline completion')) return null;
    here(doc.uri, params.position);
    try {
      // The file alone: the inline prompt is the text around the cursor, the rest of the project would be dead weight.
      const { path: target } = locate(doc.uri);
      const response = await api.post(
        'inline',
        {
          language: languageOf(doc),
          files: [{ path: target, content: doc.getText() }],
          target,
          position: params.position,
          maxLines: settings.inlineCompletion.maxLines,
          ...(settings.model && { model: settings.model }),
        },
        signalOf(token),
      );
      return { items: response.text ? [{ insertText: response.text, range: response.range }] : [] };
    } catch (error) {
      failed(error, 'Inline completion', doc);
      return { items: [] };
    }
  });

  // ------------------------------------------------------------------ code actions

  /** The compiler's fixes for these diagnostics of this version (asked once per version and set). */
  const compilerFixes = (doc: TextDocument, request: PreparedRequest, diagnostics: LspDiagnostic[]): Promise<FixResponse> => {
    const refs = diagnostics.map((d) => ({ range: d.range, ...(d.code !== undefined && { code: d.code }) }));
    const key = `${doc.version}:${JSON.stringify(refs)}`;
    const cached = fixes.get(doc.uri);
    if (cached?.key === key) return cached.response;
    const response = withOptions(request, (opts) =>
      api.post('fix', {
        language: request.language,
        files: request.files,
        target: request.target,
        diagnostics: refs,
        useModel: false,
        ...(opts && { options: opts }),
      }),
    );
    fixes.set(doc.uri, { key, response });
    response.catch(() => fixes.delete(doc.uri));
    return response;
  };

  connection.onCodeAction(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!ready(doc, 'code actions')) return null;
    here(doc.uri, params.range.start);
    const { only, triggerKind } = params.context;
    const wants = (kind: string) => !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
    const mine = published.get(doc.uri) ?? [];
    const ours = params.context.diagnostics
      .filter(
        (d) =>
          (d.data as { mls?: unknown } | undefined)?.mls === true ||
          mine.some((p) => sameRange(p.range, d.range) && p.code === d.code && p.message === d.message),
      )
      .slice(0, 200);
    const actions: CodeAction[] = [];
    if (ours.length > 0 && wants(CodeActionKind.QuickFix)) {
      try {
        const request = await prepare(doc, true);
        const response = await compilerFixes(doc, request, ours);
        const matching = (list: ApiDiagnostic[]) =>
          ours.filter((d) => list.some((f) => sameRange(f.range, d.range) && (f.code ?? null) === (d.code ?? null)));
        for (const [i, fix] of response.fixes.entries()) {
          actions.push({
            title: fix.title,
            kind: CodeActionKind.QuickFix,
            diagnostics: matching(fix.fixes),
            isPreferred: i === 0,
            edit: toEdit(request, fix.edit, doc),
          });
        }
        const unfixed = matching(response.unfixed);
        if (unfixed.length > 0) {
          actions.push({
            title: 'Fix with AI (mls)',
            kind: CodeActionKind.QuickFix,
            diagnostics: unfixed,
            command: {
              title: 'Fix with AI (mls)',
              command: 'mls.fix',
              arguments: [{ uri: doc.uri, diagnostics: unfixed.map((d) => ({ range: d.range, code: d.code, message: d.message })) }],
            },
          });
        }
      } catch (error) {
        failed(error, 'Quick fixes', doc);
      }
    }
    const explicit = triggerKind === CodeActionTriggerKind.Invoked;
    if (wants(CodeActionKind.RefactorRewrite) && (explicit || !isEmptyRange(params.range))) {
      actions.push({
        title: 'Refactor with AI… (mls)',
        kind: CodeActionKind.RefactorRewrite,
        command: { title: 'Refactor with AI', command: 'mls.refactor', arguments: [{ uri: doc.uri, range: params.range }] },
      });
    }
    if (wants(GENERATE_KIND) && explicit) {
      actions.push({
        title: 'Generate code here with AI… (mls)',
        kind: GENERATE_KIND,
        command: { title: 'Generate code with AI', command: 'mls.generate', arguments: [{ uri: doc.uri, position: params.range.start }] },
      });
    }
    return actions;
  });

  // ------------------------------------------------------------------ commands

  /** `$/progress` for a model call: the client's token if it sent one, else one the server creates. */
  const progressFor = async (attached: WorkDoneProgressReporter, title: string) => {
    let reporter: WorkDoneProgressReporter & { token?: CancellationToken } = attached;
    if (WorkDoneProgressReporter.isNullInstance(attached) && capabilities.window?.workDoneProgress) {
      reporter = await connection.window.createWorkDoneProgress().catch(() => attached);
    }
    reporter.begin(title, undefined, 'Asking the model…', true);
    return reporter;
  };

  const askInstruction = async (command: 'mls.refactor' | 'mls.generate'): Promise<string | undefined> => {
    const choices = CANNED[command];
    let picked: { title: string } | undefined;
    try {
      picked = await connection.window.showInformationMessage(
        command === 'mls.refactor'
          ? 'mls: refactor how? (or pass an "instruction" argument)'
          : 'mls: generate what? (or pass an "instruction" argument)',
        ...choices.map((c) => ({ title: c.title })),
      );
    } catch {
      throw new ResponseError(ErrorCodes.InvalidParams, `${command} needs an "instruction" argument`);
    }
    return choices.find((c) => c.title === picked?.title)?.instruction;
  };

  const openDocument = (uri: string): TextDocument => {
    const doc = documents.get(uri);
    if (!doc) throw new ResponseError(ErrorCodes.InvalidParams, `arguments[0].uri: ${uri} is not an open document`);
    if (!ready(doc, 'model help'))
      throw new ResponseError(ErrorCodes.InvalidParams, `arguments[0].uri: ${uri} cannot be sent (language, size or content)`);
    return doc;
  };

  /** A failed call as the command's answer: a JSON-RPC error the editor shows, and the same once as a message. */
  const commandFailed = (error: unknown, what: string, doc: TextDocument): never => {
    if (error instanceof ResponseError) throw error;
    failed(error, what, doc);
    const e = error as IdeApiError;
    if (e.kind === 'cancelled') throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Cancelled');
    throw new ResponseError(ErrorCodes.InternalError, e.message ?? String(error), e.status !== undefined ? { status: e.status } : undefined);
  };

  connection.onExecuteCommand(async (params, token, workDone) => {
    const command = params.command as (typeof COMMANDS)[number];
    const schema = commandArgs[command];
    if (!schema) throw new ResponseError(ErrorCodes.InvalidParams, `Unknown command ${params.command}; known: ${COMMANDS.join(', ')}`);
    const parsed = schema.safeParse(params.arguments?.[0]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ResponseError(ErrorCodes.InvalidParams, `arguments[0]${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`);
    }
    const args = parsed.data;
    const doc = openDocument(args.uri);
    if ('range' in args || 'position' in args) here(doc.uri, 'range' in args ? args.range.start : (args.position ?? { line: 0, character: 0 }));

    let text: string | undefined;
    if ((command === 'mls.refactor' || command === 'mls.generate') && !('instruction' in args && args.instruction)) {
      text = await askInstruction(command);
      if (!text) return { applied: false, cancelled: true };
    }
    const titles: Record<typeof command, string> = {
      'mls.fix': 'Fixing with AI',
      'mls.refactor': 'Refactoring with AI',
      'mls.generate': 'Generating code',
      'mls.explain': 'Explaining',
    };
    const progress = await progressFor(workDone, `mls: ${titles[command]}`);
    const signal = signalOf(token, progress.token);
    try {
      const request = await prepare(doc, command !== 'mls.explain');
      const base = {
        language: request.language,
        files: request.files,
        target: request.target,
        ...(settings.model && { model: settings.model }),
      };
      const opts = request.options && { options: request.options };
      switch (command) {
        case 'mls.fix': {
          const a = args as z.output<(typeof commandArgs)['mls.fix']>;
          const response = await api.post(
            'fix',
            {
              ...base,
              ...opts,
              useModel: a.useModel,
              ...(a.diagnostics && { diagnostics: a.diagnostics.map((d) => ({ range: d.range, ...(d.code !== undefined && { code: d.code }) })) }),
            },
            signal,
          );
          const chosen = chooseFixes(response);
          if (!chosen) {
            const why = response.rejected.map((r) => r.reason).join('; ') || `${response.unfixed.length} diagnostic(s) have no fix`;
            show('warning', `No fix applied: ${why}`);
            return { applied: false, fixes: [], rejected: response.rejected, unfixed: response.unfixed };
          }
          progress.report('Applying the fix');
          const applied = await applyEdit('mls: fix', request, chosen.edit, doc);
          if (!applied.applied) show('warning', `The fix was not applied: ${applied.failureReason ?? 'the editor refused it'}`);
          return { ...applied, fixes: chosen.titles, rejected: response.rejected, unfixed: response.unfixed };
        }
        case 'mls.refactor':
        case 'mls.generate': {
          const response =
            command === 'mls.refactor'
              ? await api.post(
                  'refactor',
                  { ...base, ...opts, range: (args as { range: Range }).range, instruction: text ?? (args as { instruction: string }).instruction },
                  signal,
                )
              : await api.post(
                  'generate',
                  {
                    ...base,
                    ...opts,
                    instruction: text ?? (args as { instruction: string }).instruction,
                    ...((args as { position?: Range['start'] }).position && { position: (args as { position: Range['start'] }).position }),
                    ...((args as { target?: string }).target && { target: (args as { target: string }).target }),
                  },
                  signal,
                );
          if (!response.edit) {
            const why = response.rejected.map((r) => r.reason).join('; ') || 'the model proposed nothing usable';
            show('warning', `Nothing applied: ${why}`);
            return { applied: false, explanation: response.explanation, rejected: response.rejected, after: response.after };
          }
          progress.report('Applying the edit');
          const applied = await applyEdit(`mls: ${command === 'mls.refactor' ? 'refactor' : 'generate'}`, request, response.edit, doc);
          if (!applied.applied) show('warning', `The edit was not applied: ${applied.failureReason ?? 'the editor refused it'}`);
          return { ...applied, explanation: response.explanation, rejected: response.rejected, after: response.after };
        }
        case 'mls.explain': {
          const a = args as z.output<(typeof commandArgs)['mls.explain']>;
          const response = await api.post('explain', { ...base, range: a.range, ...(a.question && { question: a.question }) }, signal);
          show('info', response.text);
          return { text: response.text };
        }
      }
    } catch (error) {
      return commandFailed(error, titles[command], doc);
    } finally {
      progress.done();
    }
  });
};

/**
 * The fixes to apply together: in the API's order (the compiler's first), each one that fixes a diagnostic
 * no earlier pick fixes and whose edits overlap none of theirs.
 */
export const chooseFixes = (response: FixResponse): { edit: ApiWorkspaceEdit; titles: string[] } | undefined => {
  const fixed = new Set<string>();
  const edits: Record<string, ApiWorkspaceEdit['changes'][string]> = {};
  const titles: string[] = [];
  const key = (d: ApiDiagnostic) => `${d.path}:${JSON.stringify(d.range)}:${d.code ?? ''}`;
  const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character < b.character);
  const overlaps = (a: Range, b: Range) => before(a.start, b.end) && before(b.start, a.end);
  for (const fix of response.fixes) {
    if (!fix.fixes.some((d) => !fixed.has(key(d)))) continue;
    const clash = Object.entries(fix.edit.changes).some(([p, list]) =>
      list.some((e) => (edits[p] ?? []).some((o) => overlaps(o.range, e.range) || (sameRange(o.range, e.range) && isEmptyRange(e.range)))),
    );
    if (clash) continue;
    for (const [p, list] of Object.entries(fix.edit.changes)) edits[p] = [...(edits[p] ?? []), ...list];
    for (const d of fix.fixes) fixed.add(key(d));
    titles.push(fix.title);
  }
  return titles.length > 0 ? { edit: { changes: edits }, titles } : undefined;
};
