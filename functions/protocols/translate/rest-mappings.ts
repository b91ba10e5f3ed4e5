/**
 * LSP requests that the platform's REST API answers (the IDE bridge's routes), and how their messages map.
 * REST works on file contents and relative paths where LSP works on synced documents and URIs, so a
 * translation needs the workspace: its root URI (paths are relative to it) and, for LSP -> REST, the text of
 * the documents (what an LSP server has from didOpen). Positions and ranges are LSP's on both sides.
 * LSP methods without a REST route here (hover, definition, references, rename, formatting, documentSymbol,
 * signatureHelp) have no REST mapping.
 */

export interface WorkspaceDocument {
  uri: string;
  languageId: string;
  text: string;
}

export interface Workspace {
  /** Paths are relative to it; default `file:///`. */
  rootUri: string;
  documents: WorkspaceDocument[];
  /** The document a REST response is about (default: the first document, else the first analyzed path). */
  target?: string | undefined;
}

/** A mapping refused for a reason the caller can fix (missing document text, a path outside the root). */
export class MappingError extends Error {
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}

type Json = Record<string, unknown>;
type Position = { line: number; character: number };
type Range = { start: Position; end: Position };

export const rootOf = (rootUri: string | undefined): string => {
  const root = rootUri ?? 'file:///';
  return root.endsWith('/') ? root : `${root}/`;
};

export const uriToPath = (uri: string, ws: Workspace): string => {
  const root = rootOf(ws.rootUri);
  if (!uri.startsWith(root)) throw new MappingError(`${uri} is not under the workspace root ${root} (set workspace.rootUri)`, 'workspace.rootUri');
  let path: string;
  try {
    path = decodeURIComponent(uri.slice(root.length));
  } catch {
    throw new MappingError(`${uri} is not a valid URI`, 'message');
  }
  if (path === '') throw new MappingError(`${uri} names the workspace root, not a document`, 'message');
  return path;
};

export const pathToUri = (path: string, ws: Workspace): string =>
  `${rootOf(ws.rootUri)}${path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')}`;

const documentOf = (uri: string, ws: Workspace): WorkspaceDocument => {
  const doc = ws.documents.find((d) => d.uri === uri);
  if (!doc) {
    throw new MappingError(`The REST API analyzes contents, not URIs: give the text of ${uri} in workspace.documents`, 'workspace.documents');
  }
  return doc;
};

const filesOf = (ws: Workspace) => ws.documents.map((d) => ({ path: uriToPath(d.uri, ws), content: d.text }));

const SEVERITY_NAMES = ['error', 'warning', 'information', 'hint'] as const;

const diagnosticToLsp = (d: Json) => ({
  range: d.range,
  ...(typeof d.severity === 'string' && SEVERITY_NAMES.includes(d.severity as never)
    ? { severity: SEVERITY_NAMES.indexOf(d.severity as (typeof SEVERITY_NAMES)[number]) + 1 }
    : {}),
  ...(d.code !== undefined && { code: d.code }),
  ...(typeof d.source === 'string' && { source: d.source }),
  message: d.message,
});

const requestBase = (params: Json, ws: Workspace) => {
  const uri = (params.textDocument as { uri: string }).uri;
  const doc = documentOf(uri, ws);
  return { language: doc.languageId, files: filesOf(ws), target: uriToPath(uri, ws) };
};

const documentsFrom = (body: Json, ws: Workspace): WorkspaceDocument[] =>
  ((body.files ?? []) as Array<{ path: string; content: string }>).map((f) => ({
    uri: pathToUri(f.path, ws),
    languageId: String(body.language),
    text: f.content,
  }));

const targetUri = (body: Json, ws: Workspace, operation: string): string => {
  if (typeof body.target !== 'string') {
    throw new MappingError(`A ${operation} request without a target covers many documents: it has no single LSP request`, 'message.body.target');
  }
  return pathToUri(body.target, ws);
};

export interface RestMapping {
  lspMethod: string;
  http: { method: 'POST'; path: string };
  /** LSP params -> REST body. */
  toRest(params: Json, ws: Workspace): Json;
  /** REST body -> LSP params, and the documents the body carried (what an LSP client would have opened). */
  fromRest(body: Json, ws: Workspace): { params: Json; documents: WorkspaceDocument[] };
  /** A successful REST response body -> the LSP result. */
  resultFromRest(body: Json, ws: Workspace): unknown;
}

export const REST_MAPPINGS: readonly RestMapping[] = [
  {
    lspMethod: 'textDocument/diagnostic',
    http: { method: 'POST', path: '/v1/ide/analyze' },
    toRest: (params, ws) => requestBase(params, ws),
    fromRest: (body, ws) => ({ params: { textDocument: { uri: targetUri(body, ws, 'analyze') } }, documents: documentsFrom(body, ws) }),
    resultFromRest: (body, ws) => {
      const diagnostics = (body.diagnostics ?? []) as Json[];
      const analyzed = (body.analyzed ?? []) as string[];
      const target = ws.target ? uriToPath(ws.target, ws) : ws.documents[0] ? uriToPath(ws.documents[0].uri, ws) : analyzed[0];
      const of = (path: string) => diagnostics.filter((d) => d.path === path).map(diagnosticToLsp);
      const related = [...new Set([...analyzed, ...diagnostics.map((d) => String(d.path))])].filter((p) => p !== target);
      return {
        kind: 'full',
        items: target === undefined ? [] : of(target),
        ...(related.length > 0 && {
          relatedDocuments: Object.fromEntries(related.map((p) => [pathToUri(p, ws), { kind: 'full', items: of(p) }])),
        }),
      };
    },
  },
  {
    lspMethod: 'textDocument/completion',
    http: { method: 'POST', path: '/v1/ide/complete' },
    toRest: (params, ws) => ({ ...requestBase(params, ws), position: params.position }),
    fromRest: (body, ws) => ({
      params: { textDocument: { uri: targetUri(body, ws, 'complete') }, position: body.position },
      documents: documentsFrom(body, ws),
    }),
    resultFromRest: (body) => ({
      isIncomplete: body.isIncomplete === true,
      // Where an item came from (compiler or model) has no LSP field; clients carry `data` back untouched.
      items: ((body.items ?? []) as Json[]).map(({ source, ...item }) => ({ ...item, data: { source } })),
    }),
  },
  {
    lspMethod: 'textDocument/inlineCompletion',
    http: { method: 'POST', path: '/v1/ide/inline' },
    toRest: (params, ws) => ({ ...requestBase(params, ws), position: params.position }),
    fromRest: (body, ws) => ({
      params: { textDocument: { uri: targetUri(body, ws, 'inline') }, position: body.position, context: { triggerKind: 1 } },
      documents: documentsFrom(body, ws),
    }),
    resultFromRest: (body) => ({ items: typeof body.text === 'string' && body.text !== '' ? [{ insertText: body.text, range: body.range }] : [] }),
  },
  {
    lspMethod: 'textDocument/codeAction',
    http: { method: 'POST', path: '/v1/ide/fix' },
    toRest: (params, ws) => {
      const diagnostics = ((params.context as Json | undefined)?.diagnostics ?? []) as Json[];
      return {
        ...requestBase(params, ws),
        ...(diagnostics.length > 0 && {
          diagnostics: diagnostics.map((d) => ({ range: d.range, ...(d.code !== undefined && { code: d.code }), message: d.message })),
        }),
      };
    },
    fromRest: (body, ws) => {
      const diagnostics = ((body.diagnostics ?? []) as Json[]).map((d) => ({
        range: d.range,
        message: typeof d.message === 'string' ? d.message : '',
        ...(d.code !== undefined && { code: d.code }),
      }));
      const first = diagnostics[0]?.range as Range | undefined;
      const zero = { line: 0, character: 0 };
      return {
        params: {
          textDocument: { uri: targetUri(body, ws, 'fix') },
          range: first ?? { start: zero, end: zero },
          context: { diagnostics, only: ['quickfix'] },
        },
        documents: documentsFrom(body, ws),
      };
    },
    resultFromRest: (body, ws) =>
      ((body.fixes ?? []) as Json[]).map((fix) => ({
        title: fix.title,
        kind: 'quickfix',
        diagnostics: ((fix.fixes ?? []) as Json[]).map(diagnosticToLsp),
        edit: {
          changes: Object.fromEntries(
            Object.entries(((fix.edit as Json | undefined)?.changes ?? {}) as Json).map(([path, edits]) => [pathToUri(path, ws), edits]),
          ),
        },
      })),
  },
];

export const restByLsp = new Map(REST_MAPPINGS.map((m) => [m.lspMethod, m]));

/** The mapping a REST request or response names, by its method and path (a query string is ignored). */
export const restByRoute = (method: string, path: string): RestMapping | undefined =>
  REST_MAPPINGS.find((m) => m.http.method === method.toUpperCase() && m.http.path === path.split('?')[0]);
