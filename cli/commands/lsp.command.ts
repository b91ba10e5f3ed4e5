/**
 * `mls lsp --stdio [--url <REST URL> --key <API key>] [--workspace <wsp_…>] [--ws-url <WebSocket URL>]`: the
 * IDE bridge as a language server on stdin/stdout (cli/lsp/lsp.server.ts; editor setups in
 * docs/ide-bridge.md). stdout carries the protocol only; the log goes to stderr. A missing or unreachable
 * platform does not stop it: it says so once to the editor and keeps serving.
 */
import { createConnection } from 'vscode-languageserver/node';
import packageJson from '../../package.json' with { type: 'json' };
import { connectionFlags, resolveConnection } from '../connection.ts';
import { IdeApi } from '../lsp/ide-api.client.ts';
import { startLspServer } from '../lsp/lsp.server.ts';

const USAGE = `Usage: mls lsp --stdio [--url <REST URL> --key <API key>] [--workspace <workspace id>] [--ws-url <WebSocket URL>]
  A language server on stdin/stdout: diagnostics from the IDE bridge's analyzers, completion, inline
  completion, quick fixes and AI refactor/generate (docs/ide-bridge.md).
  Connection: --url/--key, else MLS_URL/MLS_API_KEY, else .mls/local.json (a running \`npm start\`).
  Live workspace: --workspace or MLS_WORKSPACE (presence and shared diagnostics on workspace:<id>);
  the WebSocket URL comes from .mls/local.json, else --ws-url or MLS_WS_URL.
`;

/** `--name value` / `--name=value` for the options only this command has; the rest is returned. */
const take = (args: string[], name: string): { value: string | undefined; rest: string[] } => {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === `--${name}`) {
      value = args[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
    } else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
    else rest.push(arg);
  }
  return { value, rest };
};

export const run = async (args: string[]): Promise<number> => {
  const { url, key, rest: afterConnection } = connectionFlags(args);
  const workspace = take(afterConnection, 'workspace');
  const wsUrl = take(workspace.rest, 'ws-url');
  const rest = wsUrl.rest;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = rest.filter((a) => a !== '--stdio');
  if (unknown.length > 0 || !rest.includes('--stdio')) {
    process.stderr.write(`mls lsp: ${unknown.length > 0 ? `unknown option ${unknown[0]}` : 'only --stdio is supported'}\n\n${USAGE}`);
    return 2;
  }
  // Nothing but the protocol may reach stdout: a stray console.log would corrupt the editor's stream.
  const toStderr = (...parts: unknown[]) => process.stderr.write(`${parts.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;

  const log = (line: string) => process.stderr.write(`mls lsp: ${line}\n`);
  let root = process.cwd();
  const api = new IdeApi({
    // Flags and environment win; else the discovery file nearest to the project the editor opened.
    resolve: () => resolveConnection({ url, key }, process.env, root),
  });
  const connection = createConnection(process.stdin, process.stdout);
  startLspServer(connection, {
    api,
    wsUrl: wsUrl.value ?? process.env.MLS_WS_URL,
    workspace: workspace.value ?? process.env.MLS_WORKSPACE,
    version: packageJson.version,
    log,
    onRoot: (folder) => {
      root = folder;
    },
  });
  connection.listen();
  // The connection ends the process itself (`exit` notification, or stdin closing).
  return new Promise<number>(() => undefined);
};
