/**
 * The `mls` commands: name, one-line summary, and a loader (dynamic import, so a command's dependencies load
 * only when it runs). A command module exports `run(args): Promise<number>` (the exit code).
 */
export interface CommandModule {
  run(args: string[]): Promise<number>;
}

export interface Command {
  summary: string;
  load(): Promise<CommandModule>;
}

export const commands: Record<string, Command> = {
  whoami: { summary: 'Print the principal the configured credentials stand for', load: () => import('./commands/whoami.command.ts') },
  lsp: { summary: 'The IDE bridge as a language server on stdio (any editor)', load: () => import('./commands/lsp.command.ts') },
  'mcp-bridge': {
    summary: 'MCP over stdio for local clients, relayed to the platform /v1/mcp',
    load: () => import('./commands/mcp-bridge.command.ts'),
  },
  'mcp-lsp': {
    summary: 'A stdio language server (pyright, typescript-language-server, ...) as MCP tools over stdio',
    load: () => import('./commands/mcp-lsp.command.ts'),
  },
};
