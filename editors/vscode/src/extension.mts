/**
 * The VS Code side of the IDE bridge: it starts `mls lsp --stdio` (cli/lsp/lsp.server.ts) with
 * vscode-languageclient and leaves the work to it. What is here is what only an editor can do:
 * - pass the settings (URL, key, live workspace) to the server through its environment, so the key never
 *   shows in a process listing, and the key from the OS keychain (SecretStorage) before the setting;
 * - ask for the instruction of an AI refactor or generate action (the server takes it as an argument);
 * - tell the server where the cursor is when a live workspace is set (LSP has no cursor notification);
 * - restart the server when a setting it starts with changes.
 */
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/** The languages the IDE bridge analyzes (functions/ide-bridge/languages.ts), by VS Code's ids. */
const LANGUAGES = [
  'typescript',
  'typescriptreact',
  'javascript',
  'javascriptreact',
  'python',
  'go',
  'rust',
  'java',
  'csharp',
  'c',
  'cpp',
  'ruby',
  'php',
  'css',
  'shellscript',
  'powershell',
  'ini',
  'json',
  'jsonc',
  'yaml',
  'html',
];

const SECRET = 'mls.apiKey';
/** Settings that the server is started with: a change restarts it. */
const START_SETTINGS = ['mls.url', 'mls.apiKey', 'mls.wsUrl', 'mls.workspace', 'mls.server'];

let client: LanguageClient | undefined;

/** The server's own settings (cli/lsp/lsp.server.ts `settingsSchema`): never the URL or the key. */
const serverSettings = (config: vscode.WorkspaceConfiguration) => ({
  completion: { useModel: config.get<boolean>('completion.useModel', false) },
  inlineCompletion: { enabled: config.get<boolean>('inlineCompletion.enabled', true) },
  diagnostics: { debounceMs: config.get<number>('diagnostics.debounceMs', 300) },
  ...(config.get('model') ? { model: config.get('model') } : {}),
});

const start = async (context: vscode.ExtensionContext): Promise<void> => {
  const config = vscode.workspace.getConfiguration('mls');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const key = (await context.secrets.get(SECRET)) || config.get<string>('apiKey', '');
  const set = (name: string, value: string | undefined) => {
    if (value) env[name] = value;
  };
  set('MLS_URL', config.get<string>('url'));
  set('MLS_API_KEY', key);
  set('MLS_WS_URL', config.get<string>('wsUrl'));
  set('MLS_WORKSPACE', config.get<string>('workspace'));
  const serverOptions: ServerOptions = {
    command: config.get<string>('server.command', 'mls'),
    args: config.get<string[]>('server.args', ['lsp', '--stdio']),
    // npm's shims (`mls.cmd`) need a shell on Windows.
    options: { env, shell: process.platform === 'win32' },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    initializationOptions: serverSettings(config),
    middleware: {
      // The server takes the instruction as an argument; VS Code can ask for free text, so it does.
      executeCommand: async (command, args, next) => {
        const [first] = args as Array<{ instruction?: string } | undefined>;
        if ((command === 'mls.refactor' || command === 'mls.generate') && first && !first.instruction) {
          const instruction = await vscode.window.showInputBox({
            title: command === 'mls.refactor' ? 'Refactor with AI' : 'Generate code with AI',
            prompt: command === 'mls.refactor' ? 'How should the selection change?' : 'What should be written here?',
            ignoreFocusOut: true,
          });
          if (!instruction) return undefined;
          return next(command, [{ ...first, instruction }, ...args.slice(1)]);
        }
        return next(command, args);
      },
    },
  };
  client = new LanguageClient('mls', 'MLS IDE bridge', serverOptions, clientOptions);
  await client.start();
};

const stop = async (): Promise<void> => {
  const running = client;
  client = undefined;
  await running?.stop();
};

const run = (command: string, argument: (editor: vscode.TextEditor) => object) => async () => {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !client) return;
  await vscode.commands.executeCommand(command, argument(editor));
};

const plain = (p: vscode.Position) => ({ line: p.line, character: p.character });
const plainRange = (r: vscode.Range) => ({ start: plain(r.start), end: plain(r.end) });

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  let cursorTimer: NodeJS.Timeout | undefined;
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'mls.client.refactorSelection',
      run('mls.refactor', (e) => ({ uri: e.document.uri.toString(), range: plainRange(e.selection) })),
    ),
    vscode.commands.registerCommand(
      'mls.client.generateHere',
      run('mls.generate', (e) => ({ uri: e.document.uri.toString(), position: plain(e.selection.active) })),
    ),
    vscode.commands.registerCommand(
      'mls.client.explainSelection',
      run('mls.explain', (e) => ({ uri: e.document.uri.toString(), range: plainRange(e.selection) })),
    ),
    vscode.commands.registerCommand('mls.client.storeApiKey', async () => {
      const key = await vscode.window.showInputBox({ title: 'MLS API key', password: true, ignoreFocusOut: true });
      if (key === undefined) return;
      await context.secrets.store(SECRET, key);
      await stop();
      await start(context);
    }),
    vscode.commands.registerCommand('mls.client.restart', async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (START_SETTINGS.some((s) => event.affectsConfiguration(s))) {
        await stop();
        await start(context);
      } else if (event.affectsConfiguration('mls') && client) {
        await client.sendNotification('workspace/didChangeConfiguration', {
          settings: { mls: serverSettings(vscode.workspace.getConfiguration('mls')) },
        });
      }
    }),
    // Where the cursor is, for the live workspace's presence (at most every 300 ms).
    vscode.window.onDidChangeTextEditorSelection((event) => {
      if (!client || !vscode.workspace.getConfiguration('mls').get<string>('workspace')) return;
      clearTimeout(cursorTimer);
      cursorTimer = setTimeout(() => {
        void client?.sendNotification('mls/cursor', { uri: event.textEditor.document.uri.toString(), position: plain(event.selections[0]!.active) });
      }, 300);
    }),
    { dispose: () => clearTimeout(cursorTimer) },
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
