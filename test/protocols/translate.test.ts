/**
 * LSP <-> MCP <-> REST translation (functions/protocols/translate), in process against the real schemas (the
 * LSP schemas generated from vscode-languageserver-protocol, the MCP SDK's, the platform's OpenAPI document):
 * - every mapped LSP method: request and result LSP -> MCP -> LSP give back exactly the LSP message, and
 *   what the MCP side holds is a valid MCP message with 1-based positions;
 * - LSP and MCP errors survive the trip;
 * - REST: LSP and MCP requests become REST calls that the OpenAPI document accepts, REST results come back
 *   as valid LSP results.
 * The HTTP route itself (bad input, status codes) is tested in protocol-registry.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { UnprocessableContentError, ValidationError } from '#shared/errors.ts';
import { registryPorts } from '#functions/protocols/registry/registry.composition.ts';
import { validateMessage } from '#functions/protocols/registry/registry.service.ts';
import { LSP_TOOLS } from '#functions/protocols/translate/lsp-tools.ts';
import { translatePorts } from '#functions/protocols/translate/translate.composition.ts';
import { translate } from '#functions/protocols/translate/translate.service.ts';
import type { TranslateBody } from '#functions/protocols/translate/translate.contracts.ts';

const ports = translatePorts();
const run = (body: Partial<TranslateBody> & Pick<TranslateBody, 'from' | 'to' | 'message'>) => translate(ports, body as TranslateBody);

const uri = 'file:///home/dev/app/src/main.ts';
const other = 'file:///home/dev/app/src/util.ts';
const pos = (line: number, character: number) => ({ line, character });
const range = (a: number, b: number, c: number, d: number) => ({ start: pos(a, b), end: pos(c, d) });
const diagnostic = {
  range: range(4, 2, 4, 9),
  severity: 1,
  code: 2322,
  source: 'ts',
  message: "Type 'string' is not assignable to type 'number'.",
  relatedInformation: [{ location: { uri: other, range: range(0, 0, 0, 5) }, message: 'declared here' }],
  data: { line: 7, character: 1, opaque: true },
};
const workspaceEdit = {
  changes: { [uri]: [{ range: range(1, 4, 1, 7), newText: 'total' }] },
  documentChanges: [{ textDocument: { uri: other, version: 3 }, edits: [{ range: range(9, 0, 9, 3), newText: 'total' }] }],
};

/** For each mapped method: a request with every kind of field it has, and a result as a real server answers. */
const SAMPLES: Record<string, { params: Record<string, unknown>; result: unknown }> = {
  'textDocument/diagnostic': {
    params: { textDocument: { uri }, identifier: 'ts', previousResultId: 'r1', workDoneToken: 'w1' },
    result: { kind: 'full', resultId: 'r2', items: [diagnostic], relatedDocuments: { [other]: { kind: 'unchanged', resultId: 'u1' } } },
  },
  'textDocument/completion': {
    params: { textDocument: { uri }, position: pos(10, 14), context: { triggerKind: 2, triggerCharacter: '.' }, partialResultToken: 7 },
    result: {
      isIncomplete: false,
      itemDefaults: { editRange: { insert: range(10, 14, 10, 14), replace: range(10, 14, 10, 18) }, commitCharacters: ['.'] },
      items: [
        {
          label: 'length',
          kind: 10,
          detail: 'number',
          textEdit: { newText: 'length', insert: range(10, 14, 10, 14), replace: range(10, 14, 10, 18) },
        },
        { label: 'push', kind: 2, additionalTextEdits: [{ range: range(0, 0, 0, 0), newText: 'import x;\n' }], data: { id: 4 } },
        { label: 'at', kind: 2, command: { title: 'retrigger', command: 'editor.action.triggerSuggest', arguments: [{ line: 1, character: 2 }] } },
      ],
    },
  },
  'textDocument/inlineCompletion': {
    params: {
      textDocument: { uri },
      position: pos(3, 0),
      context: { triggerKind: 2, selectedCompletionInfo: { range: range(3, 0, 3, 4), text: 'cons' } },
    },
    result: { items: [{ insertText: 'console.log(total);', range: range(3, 0, 3, 4), filterText: 'cons' }] },
  },
  'textDocument/codeAction': {
    params: { textDocument: { uri }, range: range(4, 2, 4, 9), context: { diagnostics: [diagnostic], only: ['quickfix'], triggerKind: 1 } },
    result: [
      { title: 'Convert to number', kind: 'quickfix', diagnostics: [diagnostic], isPreferred: true, edit: workspaceEdit },
      { title: 'Organize imports', command: 'source.organizeImports', arguments: [uri] },
    ],
  },
  'textDocument/hover': {
    params: { textDocument: { uri }, position: pos(0, 0) },
    result: { contents: { kind: 'markdown', value: '```ts\nconst total: number\n```' }, range: range(0, 6, 0, 11) },
  },
  'textDocument/definition': {
    params: { textDocument: { uri }, position: pos(12, 3), workDoneToken: 1 },
    result: [
      { originSelectionRange: range(12, 3, 12, 8), targetUri: other, targetRange: range(0, 0, 2, 1), targetSelectionRange: range(0, 9, 0, 14) },
    ],
  },
  'textDocument/references': {
    params: { textDocument: { uri }, position: pos(1, 4), context: { includeDeclaration: false } },
    result: [
      { uri, range: range(1, 4, 1, 9) },
      { uri: other, range: range(20, 11, 20, 16) },
    ],
  },
  'textDocument/rename': {
    params: { textDocument: { uri }, position: pos(1, 4), newName: 'total' },
    result: workspaceEdit,
  },
  'textDocument/formatting': {
    params: { textDocument: { uri }, options: { tabSize: 4, insertSpaces: false, trimTrailingWhitespace: true } },
    result: [{ range: range(2, 0, 2, 2), newText: '\t' }],
  },
  'textDocument/documentSymbol': {
    params: { textDocument: { uri } },
    result: [
      {
        name: 'Cart',
        kind: 5,
        range: range(0, 0, 30, 1),
        selectionRange: range(0, 13, 0, 17),
        children: [{ name: 'total', kind: 6, range: range(2, 2, 5, 3), selectionRange: range(2, 2, 2, 7), tags: [1] }],
      },
    ],
  },
  'textDocument/signatureHelp': {
    params: {
      textDocument: { uri },
      position: pos(7, 18),
      context: {
        triggerKind: 2,
        triggerCharacter: '(',
        isRetrigger: false,
        activeSignatureHelp: { signatures: [{ label: 'f(a: number)', parameters: [{ label: [2, 11] }] }] },
      },
    },
    result: {
      signatures: [{ label: 'add(a: number, b: number): number', documentation: 'Adds.', parameters: [{ label: [4, 13] }, { label: [15, 24] }] }],
      activeSignature: 0,
      activeParameter: 1,
    },
  },
};

describe('LSP -> MCP -> LSP is lossless for every mapped method', () => {
  it('maps the eleven methods the issue names, each to one tool', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(LSP_TOOLS.map((t) => t.method).sort());
  });

  for (const tool of LSP_TOOLS) {
    const sample = SAMPLES[tool.method]!;

    it(`${tool.method} request <-> MCP tools/call ${tool.name}`, async () => {
      const lsp = { jsonrpc: '2.0', id: 41, method: tool.method, params: sample.params };
      expect((await validateMessage(registryPorts(), { protocol: 'lsp', message: lsp })).errors).toEqual([]);

      const mcp = await run({ from: 'lsp', to: 'mcp', message: lsp });
      expect(mcp).toMatchObject({
        kind: 'request',
        method: tool.name,
        message: { jsonrpc: '2.0', id: 41, method: 'tools/call', params: { name: tool.name } },
      });
      const args = (mcp.message as { params: { arguments: Record<string, unknown> } }).params.arguments;
      expect(args.uri).toBe(uri);
      // The tool call is a valid MCP message, and its arguments fit the tool's own schema.
      expect((await validateMessage(registryPorts(), { protocol: 'mcp', version: '2025-11-25', message: mcp.message })).errors).toEqual([]);
      expect(tool.input.safeParse(args).success).toBe(true);
      // No LSP position is left (opaque `data` is the client's own and stays as it is).
      expect(JSON.stringify(args, (key, value) => (key === 'data' ? undefined : value))).not.toContain('"character"');

      const back = await run({ from: 'mcp', to: 'lsp', message: mcp.message });
      expect(back).toMatchObject({ kind: 'request', method: tool.method });
      expect(back.message).toEqual(lsp);
    });

    it(`${tool.method} result <-> MCP CallToolResult`, async () => {
      const lsp = { jsonrpc: '2.0', id: 'r-9', result: sample.result };
      expect((await validateMessage(registryPorts(), { protocol: 'lsp', message: lsp, method: tool.method })).errors).toEqual([]);

      const mcp = await run({ from: 'lsp', to: 'mcp', message: lsp, method: tool.method });
      expect(mcp.method).toBe(tool.name);
      expect(
        (await validateMessage(registryPorts(), { protocol: 'mcp', version: '2025-11-25', message: mcp.message, method: 'tools/call' })).errors,
      ).toEqual([]);
      const result = (mcp.message as { result: { structuredContent: { result: unknown }; content: Array<{ text: string }> } }).result;
      expect(JSON.parse(result.content[0]!.text)).toEqual(result.structuredContent);

      const back = await run({ from: 'mcp', to: 'lsp', message: mcp.message, method: mcp.method });
      expect(back.message).toEqual(lsp);
    });
  }

  it('a null result (nothing at that position) survives the trip', async () => {
    const lsp = { jsonrpc: '2.0', id: 3, result: null };
    const mcp = await run({ from: 'lsp', to: 'mcp', message: lsp, method: 'textDocument/hover' });
    expect(await run({ from: 'mcp', to: 'lsp', message: mcp.message, method: 'hover' })).toMatchObject({ message: lsp });
  });

  it('an LSP error becomes a tool error the model reads, and comes back as the same error', async () => {
    const lsp = { jsonrpc: '2.0', id: 5, error: { code: -32803, message: 'No project for this file', data: { uri } } };
    const mcp = await run({ from: 'lsp', to: 'mcp', message: lsp, method: 'textDocument/definition' });
    expect(mcp.message).toMatchObject({
      id: 5,
      result: { isError: true, content: [{ type: 'text', text: expect.stringContaining('No project for this file') }] },
    });
    expect((await run({ from: 'mcp', to: 'lsp', message: mcp.message, method: 'definition' })).message).toEqual(lsp);
  });
});

describe('positions', () => {
  it('LSP 0-based line and UTF-16 character <-> 1-based line and column, nested ones included', async () => {
    // "const 🎉x" : x starts at UTF-16 offset 8 (the emoji is two code units), as LSP counts.
    const mcp = await run({
      from: 'lsp',
      to: 'mcp',
      message: { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: { textDocument: { uri }, position: pos(0, 8) } },
    });
    expect(mcp.message).toMatchObject({ params: { arguments: { uri, line: 1, column: 9 } } });

    const action = await run({
      from: 'lsp',
      to: 'mcp',
      message: { jsonrpc: '2.0', id: 1, method: 'textDocument/codeAction', params: SAMPLES['textDocument/codeAction']!.params },
    });
    const args = (action.message as { params: { arguments: any } }).params.arguments;
    expect(args.range).toEqual({ start: { line: 5, column: 3 }, end: { line: 5, column: 10 } });
    expect(args.context.diagnostics[0].relatedInformation[0].location.range.start).toEqual({ line: 1, column: 1 });
    // Opaque data is the client's own: never rewritten.
    expect(args.context.diagnostics[0].data).toEqual({ line: 7, character: 1, opaque: true });
  });

  it('an MCP call with a 0 line or column is refused naming the argument', async () => {
    const call = (a: Record<string, unknown>) =>
      run({ from: 'mcp', to: 'lsp', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hover', arguments: { uri, ...a } } } });
    await expect(call({ line: 0, column: 1 })).rejects.toMatchObject({ errors: [{ path: 'body.message.params.arguments.line' }] });
    await expect(call({ line: 1, column: 0 })).rejects.toMatchObject({ errors: [{ path: 'body.message.params.arguments.column' }] });
    await expect(call({ line: 1.5, column: 1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(call({ line: 1 })).rejects.toMatchObject({ errors: [{ path: 'body.message.params.arguments.column' }] });
  });

  it('a tool caller may leave out what LSP requires but has a sensible default for', async () => {
    const out = await run({
      from: 'mcp',
      to: 'lsp',
      message: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'references', arguments: { uri, line: 2, column: 5 } } },
    });
    expect(out.message).toEqual({
      jsonrpc: '2.0',
      id: 2,
      method: 'textDocument/references',
      params: { textDocument: { uri }, position: pos(1, 4), context: { includeDeclaration: true } },
    });
  });
});

describe('what has no mapping is a 422 naming the method', () => {
  it.each([
    [
      'an LSP method without a tool',
      { from: 'lsp', to: 'mcp', message: { jsonrpc: '2.0', id: 1, method: 'textDocument/foldingRange', params: { textDocument: { uri } } } },
      'textDocument/foldingRange',
    ],
    [
      'an LSP notification',
      { from: 'lsp', to: 'mcp', message: { jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } } },
      'textDocument/didClose',
    ],
    ['an MCP method other than tools/call', { from: 'mcp', to: 'lsp', message: { jsonrpc: '2.0', id: 1, method: 'tools/list' } }, 'tools/list'],
    [
      'an MCP tool that is not an LSP tool',
      { from: 'mcp', to: 'lsp', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_agent', arguments: {} } } },
      'run_agent',
    ],
    [
      'an LSP method without a REST route',
      { from: 'lsp', to: 'rest', message: { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: SAMPLES['textDocument/hover']!.params } },
      'textDocument/hover',
    ],
    [
      'a REST route without an LSP method',
      { from: 'rest', to: 'lsp', message: { method: 'POST', path: '/v1/ide/generate', body: {} } },
      '/v1/ide/generate',
    ],
  ] as const)('%s', async (_, body, named) => {
    const error = await run(body as unknown as TranslateBody).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnprocessableContentError);
    expect((error as Error).message).toContain(named);
  });

  it('an invalid LSP message is a 400 naming the field, not a 422', async () => {
    const error = await run({
      from: 'lsp',
      to: 'mcp',
      message: { jsonrpc: '2.0', id: 1, method: 'textDocument/hover', params: { textDocument: { uri }, position: { line: -1, character: 'x' } } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors!.map((e) => e.path).sort()).toEqual([
      'body.message.params.position.character',
      'body.message.params.position.line',
    ]);
  });

  it('a response without the method it answers is a 400 naming `method`', async () => {
    await expect(run({ from: 'lsp', to: 'mcp', message: { jsonrpc: '2.0', id: 1, result: null } })).rejects.toMatchObject({
      errors: [{ path: 'body.method' }],
    });
  });

  it('a batch is not a message', async () => {
    await expect(run({ from: 'lsp', to: 'mcp', message: [{ jsonrpc: '2.0', id: 1, method: 'shutdown' }] })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('REST', () => {
  const workspace = {
    rootUri: 'file:///home/dev/app/',
    documents: [
      { uri, languageId: 'typescript', text: "import { add } from './util.ts';\nconst total: number = 'one';\n" },
      { uri: other, languageId: 'typescript', text: 'export const add = (a: number, b: number) => a + b;\n' },
    ],
  };

  it('an LSP request becomes a REST call the OpenAPI document accepts, with paths relative to the root', async () => {
    const out = await run({
      from: 'lsp',
      to: 'rest',
      message: { jsonrpc: '2.0', id: 1, method: 'textDocument/completion', params: { textDocument: { uri }, position: pos(1, 22) } },
      workspace,
    });
    expect(out).toMatchObject({ kind: 'request', method: 'POST /v1/ide/complete' });
    expect(out.message).toEqual({
      method: 'POST',
      path: '/v1/ide/complete',
      body: {
        language: 'typescript',
        files: [
          { path: 'src/main.ts', content: workspace.documents[0]!.text },
          { path: 'src/util.ts', content: workspace.documents[1]!.text },
        ],
        target: 'src/main.ts',
        position: pos(1, 22),
      },
    });
    expect((await validateMessage(registryPorts(), { protocol: 'rest', message: out.message })).errors).toEqual([]);
  });

  it('an MCP tool call goes to REST through LSP (1-based -> 0-based)', async () => {
    const out = await run({
      from: 'mcp',
      to: 'rest',
      message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'inline_completion', arguments: { uri, line: 2, column: 23 } } },
      workspace,
    });
    expect(out.message).toMatchObject({ path: '/v1/ide/inline', body: { target: 'src/main.ts', position: pos(1, 22) } });
  });

  it('LSP -> REST needs the documents, and names what is missing', async () => {
    const error = await run({
      from: 'lsp',
      to: 'rest',
      message: { jsonrpc: '2.0', id: 1, method: 'textDocument/diagnostic', params: { textDocument: { uri } } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([expect.objectContaining({ path: 'body.workspace.documents' })]);
    await expect(
      run({
        from: 'lsp',
        to: 'rest',
        message: { jsonrpc: '2.0', id: 1, method: 'textDocument/diagnostic', params: { textDocument: { uri } } },
        workspace: { ...workspace, rootUri: 'file:///elsewhere/' },
      }),
    ).rejects.toMatchObject({ errors: [{ path: 'body.workspace.rootUri' }] });
  });

  it('a REST request comes back as the LSP request and the documents to open', async () => {
    const out = await run({
      from: 'rest',
      to: 'lsp',
      message: {
        method: 'POST',
        path: '/v1/ide/analyze',
        body: { language: 'typescript', files: [{ path: 'src/main.ts', content: 'let a = 1;\n' }], target: 'src/main.ts' },
      },
      workspace: { rootUri: 'file:///home/dev/app' },
    });
    expect(out.message).toEqual({ jsonrpc: '2.0', id: 1, method: 'textDocument/diagnostic', params: { textDocument: { uri } } });
    expect(out.documents).toEqual([{ uri, languageId: 'typescript', text: 'let a = 1;\n' }]);
  });

  it('REST results come back as valid LSP results and MCP tool results', async () => {
    const analyzed = {
      method: 'POST',
      path: '/v1/ide/analyze',
      status: 200,
      body: {
        language: 'typescript',
        analyzer: { name: 'typescript', version: '6.0.3' },
        analyzed: ['src/main.ts', 'src/util.ts'],
        diagnostics: [
          { path: 'src/main.ts', range: range(1, 6, 1, 11), severity: 'error', code: 2322, message: 'Type mismatch', source: 'typescript' },
        ],
      },
    };
    const lsp = await run({ from: 'rest', to: 'lsp', message: analyzed, workspace });
    expect(lsp.message).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        kind: 'full',
        items: [{ range: range(1, 6, 1, 11), severity: 1, code: 2322, source: 'typescript', message: 'Type mismatch' }],
        relatedDocuments: { [other]: { kind: 'full', items: [] } },
      },
    });
    const mcp = await run({ from: 'rest', to: 'mcp', message: analyzed, workspace });
    expect(mcp).toMatchObject({
      method: 'diagnostics',
      message: { result: { structuredContent: { result: { items: [{ range: { start: { line: 2, column: 7 } } }] } } } },
    });

    const fixed = await run({
      from: 'rest',
      to: 'lsp',
      workspace,
      message: {
        method: 'POST',
        path: '/v1/ide/fix',
        status: 200,
        body: {
          analyzer: { name: 'typescript', version: '6.0.3' },
          diagnostics: [],
          fixes: [
            {
              title: 'Change to number',
              source: 'compiler',
              edit: { changes: { 'src/main.ts': [{ range: range(1, 22, 1, 27), newText: '1' }] } },
              fixes: [{ path: 'src/main.ts', range: range(1, 6, 1, 11), severity: 'error', message: 'Type mismatch', source: 'typescript' }],
            },
          ],
          rejected: [],
          unfixed: [],
          model: null,
        },
      },
    });
    expect(fixed.message).toMatchObject({
      result: [{ title: 'Change to number', kind: 'quickfix', edit: { changes: { [uri]: [{ newText: '1' }] } } }],
    });
  });

  it('a REST problem comes back as an LSP error carrying it', async () => {
    const out = await run({
      from: 'rest',
      to: 'lsp',
      message: {
        method: 'POST',
        path: '/v1/ide/complete',
        status: 413,
        body: { type: '/problems/payload-too-large', title: 'Content too large', status: 413, detail: 'Files over 128 KiB' },
      },
    });
    expect(out.message).toMatchObject({ error: { code: -32803, message: 'Files over 128 KiB', data: { status: 413 } } });
  });
});
