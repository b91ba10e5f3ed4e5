#!/usr/bin/env node
/**
 * `mls`: the platform's command line, a client of the public API (REST /v1 and WebSocket), like any editor or
 * script would be. Each command lives in cli/commands/<name>.command.ts and is loaded only when run, so one
 * command's dependencies never slow another's start.
 *
 *   npx mls <command> [options]        npx mls --help
 *
 * Data goes to stdout, progress and diagnostics to stderr (stdio commands such as `lsp --stdio` own stdout
 * for their protocol and log to stderr only).
 */
import { commands } from './commands.ts';

const usage = (): string =>
  [
    'Usage: mls <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`),
    '',
    'Connection (every command that talks to the platform): --url <REST URL> --key <API key>,',
    'else MLS_URL / MLS_API_KEY, else the running `npm start` instance (.mls/local.json).',
  ].join('\n');

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}
const command = commands[name];
if (!command) {
  process.stderr.write(`mls: unknown command "${name}"\n\n${usage()}\n`);
  process.exit(2);
}
try {
  const { run } = await command.load();
  process.exitCode = await run(args);
} catch (error) {
  process.stderr.write(`mls ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
