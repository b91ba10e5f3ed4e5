/**
 * Smoke test of a running stage: health, auth, an upload and its download, a WebSocket subscription, and an
 * agent run followed live, against any deployed stage or the local runtime. Nothing but the public API.
 *
 *   npm run smoke -- --url <RestApiUrl> --ws <WebSocketUrl> --key <admin API key> [--model openai:gpt-4o-mini]
 *
 * The agent run needs a model provider configured in the stage (its key filled in, or a base URL); without
 * `--model` it is skipped, and `--require-agent` turns that skip into a failure. Progress goes to stderr, the
 * result to stdout (`--json` for scripts); the exit code is 0 only when nothing failed. It leaves nothing
 * behind but the uploaded file (files have no DELETE route) and the run's history.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

export type CheckName = 'health' | 'auth' | 'upload' | 'download' | 'websocket' | 'agent-run';
export interface SmokeCheck {
  name: CheckName;
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  ms: number;
}
export interface SmokeOptions {
  /** The REST API base URL (the stack's RestApiUrl output, or the local runtime's REST URL). */
  url: string;
  /** The WebSocket URL (the stack's WebSocketUrl output); without it the WebSocket check is skipped. */
  ws?: string | undefined;
  /** An API key (or JWT) with the admin or developer role. */
  key: string;
  /** The agent run's model; without it the run is skipped. */
  model?: { provider: 'openai' | 'anthropic'; name: string } | undefined;
  /** A skipped agent run (or WebSocket check) counts as a failure. */
  requireAgent?: boolean;
  /** How long the agent run may take (default 120 s). */
  agentTimeoutMs?: number;
  log?: (line: string) => void;
}

class CheckFailed extends Error {}
const fail = (message: string): never => {
  throw new CheckFailed(message);
};

/**
 * A JSON answer of the public API, read loosely: the fields the checks use, each checked as it is used (a
 * missing one shows up as `undefined` in a failure's detail, never as a crash of the script).
 */
interface Body {
  [field: string]: unknown;
  fileId?: string;
  uploadUrl?: string;
  uploadMethod?: string;
  headers?: Record<string, string>;
  status?: string;
  downloadUrl?: string | null;
  workspaceId?: string;
  agentId?: string;
  id?: string;
  executionId?: string;
  userId?: string;
  tenantId?: string;
  roles?: string[];
  error?: unknown;
  output?: { text?: string } | null;
  stepCount?: number;
}
/** A WebSocket frame the server pushes. */
interface Frame {
  type?: string;
  channel?: string;
  event?: { kind?: string; data?: unknown };
}

interface Reply {
  status: number;
  body: Body;
  text: string;
  headers: Headers;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** A field the check needs, or a failure naming it. */
const required = (value: string | null | undefined, what: string): string =>
  typeof value === 'string' && value !== '' ? value : fail(`the answer has no ${what}`);

export const runSmoke = async (options: SmokeOptions): Promise<{ ok: boolean; checks: SmokeCheck[] }> => {
  const base = options.url.replace(/\/+$/, '');
  const log = options.log ?? (() => undefined);
  const checks: SmokeCheck[] = [];
  const call = async (path: string, init: RequestInit & { json?: unknown; anonymous?: boolean } = {}): Promise<Reply> => {
    const { json, anonymous, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (!anonymous) headers.set('x-api-key', options.key);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const res = await fetch(`${base}${path}`, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json) }) });
    const text = await res.text();
    let body: Body = {};
    try {
      const parsed: unknown = text ? JSON.parse(text) : undefined;
      if (parsed !== null && typeof parsed === 'object') body = parsed as Body;
    } catch {
      // not JSON: the checks report `text`
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  const expectStatus = (reply: Reply, status: number, what: string) => {
    if (reply.status !== status) fail(`${what}: HTTP ${reply.status} (expected ${status}): ${reply.text.slice(0, 300)}`);
  };
  const check = async (name: CheckName, run: () => Promise<string>, skip?: string): Promise<boolean> => {
    const started = performance.now();
    const done = (status: SmokeCheck['status'], detail: string) => {
      const entry = { name, status, detail, ms: Math.round(performance.now() - started) };
      checks.push(entry);
      log(`${status === 'passed' ? '✓' : status === 'skipped' ? '-' : '✗'} ${name}: ${detail} (${entry.ms} ms)`);
      return status === 'passed';
    };
    if (skip !== undefined) return done(options.requireAgent ? 'failed' : 'skipped', skip);
    try {
      return done('passed', await run());
    } catch (error) {
      return done('failed', error instanceof CheckFailed ? error.message : `${(error as Error).name}: ${(error as Error).message}`);
    }
  };

  await check('health', async () => {
    const reply = await call('/health', { anonymous: true });
    expectStatus(reply, 200, 'GET /health');
    return `GET /health answered ${JSON.stringify(reply.body)}`;
  });

  const authOk = await check('auth', async () => {
    const anonymous = await call('/v1/me', { anonymous: true });
    expectStatus(anonymous, 401, 'GET /v1/me without credentials');
    const me = await call('/v1/me');
    expectStatus(me, 200, 'GET /v1/me with the key');
    return `401 without credentials; the key is ${me.body?.userId ?? '?'} in tenant ${me.body?.tenantId ?? '?'} (${(me.body?.roles ?? []).join(', ')})`;
  });

  const content = Buffer.from(`mls smoke test ${new Date().toISOString()} ${randomBytes(8).toString('hex')}\n`);
  let fileId: string | undefined;
  const uploaded = await check(
    'upload',
    async () => {
      const created = await call('/v1/files', {
        method: 'POST',
        json: { filename: 'smoke.txt', contentType: 'text/plain', sizeBytes: content.length },
      });
      expectStatus(created, 201, 'POST /v1/files');
      const put = await fetch(required(created.body.uploadUrl, 'uploadUrl'), {
        method: created.body.uploadMethod ?? 'PUT',
        headers: created.body.headers,
        body: content,
      });
      if (!put.ok) fail(`PUT to the presigned upload URL: HTTP ${put.status}: ${(await put.text()).slice(0, 300)}`);
      fileId = created.body.fileId;
      return `${content.length} bytes to a presigned URL as ${fileId}`;
    },
    authOk ? undefined : 'needs a working key',
  );

  await check(
    'download',
    async () => {
      const file = await call(`/v1/files/${fileId}`);
      expectStatus(file, 200, `GET /v1/files/${fileId}`);
      if (file.body.status !== 'uploaded' || !file.body.downloadUrl) fail(`the file is ${file.body.status}, with no download URL`);
      const got = await fetch(required(file.body.downloadUrl, 'downloadUrl'));
      if (!got.ok) fail(`GET the presigned download URL: HTTP ${got.status}`);
      const bytes = Buffer.from(await got.arrayBuffer());
      if (!bytes.equals(content)) fail(`downloaded ${bytes.length} bytes that differ from the ${content.length} uploaded`);
      return `the same ${bytes.length} bytes back (${got.headers.get('content-type')})`;
    },
    uploaded ? undefined : 'needs the upload',
  );

  // One socket for the workspace round trip and for following the agent run.
  let socket: Socket | undefined;
  let workspaceId: string | undefined;
  await check(
    'websocket',
    async () => {
      socket = await Socket.open(`${options.ws}${options.ws!.includes('?') ? '&' : '?'}token=${encodeURIComponent(options.key)}`);
      const created = await call('/v1/workspaces', { method: 'POST', json: { name: `smoke-${randomBytes(3).toString('hex')}` } });
      expectStatus(created, 201, 'POST /v1/workspaces');
      workspaceId = created.body.workspaceId ?? created.body.id;
      const channel = `workspace:${workspaceId}`;
      socket.send({ action: 'subscribe', channel });
      await socket.next((m) => m.type === 'subscribed' && m.channel === channel, 'the subscription', 10_000);
      const nonce = randomBytes(6).toString('hex');
      socket.send({ action: 'publish', channel, data: { text: nonce } });
      await socket.next((m) => m.type === 'event' && m.channel === channel && JSON.stringify(m.event).includes(nonce), 'the published event', 10_000);
      return `subscribed to ${channel} and received what was published to it`;
    },
    !authOk ? 'needs a working key' : options.ws ? undefined : 'no --ws URL given',
  );
  if (workspaceId) await call(`/v1/workspaces/${workspaceId}`, { method: 'DELETE' }).catch(() => undefined);

  await check(
    'agent-run',
    async () => {
      const agent = await call('/v1/agents', {
        method: 'POST',
        json: {
          name: `smoke-${randomBytes(3).toString('hex')}`,
          description: 'Created and deleted by npm run smoke',
          systemPrompt: 'You answer with one short sentence.',
          model: { ...options.model, maxTokens: 64 },
          tools: [],
          maxSteps: 2,
        },
      });
      expectStatus(agent, 201, 'POST /v1/agents');
      const agentId = required(agent.body.agentId ?? agent.body.id, 'agentId');
      try {
        const started = await call(`/v1/agents/${agentId}/executions`, { method: 'POST', json: { text: 'Say hello.' } });
        expectStatus(started, 202, `POST /v1/agents/${agentId}/executions`);
        const executionId = required(started.body.executionId, 'executionId');
        const channel = `execution:${executionId}`;
        // From the beginning of its log: events published before the subscription are replayed.
        socket?.send({ action: 'subscribe', channel, afterSeq: 0 });
        const deadline = Date.now() + (options.agentTimeoutMs ?? 120_000);
        let execution: Body = {};
        for (;;) {
          const reply = await call(`/v1/executions/${executionId}`);
          expectStatus(reply, 200, `GET /v1/executions/${executionId}`);
          execution = reply.body;
          if (TERMINAL.has(execution.status ?? '')) break;
          if (Date.now() > deadline) fail(`the run is still ${execution.status} after ${options.agentTimeoutMs ?? 120_000} ms`);
          await new Promise((r) => setTimeout(r, 500));
        }
        if (execution.status !== 'succeeded') fail(`the run ${execution.status}: ${JSON.stringify(execution.error)}`);
        let live = '';
        if (socket) {
          await socket.next(
            (m) => m.type === 'event' && m.channel === channel && m.event?.kind === 'execution.succeeded',
            'the run’s execution.succeeded event',
            15_000,
          );
          live = ', followed live over the WebSocket';
        }
        const text = String(execution.output?.text ?? '');
        return `${options.model!.provider}:${options.model!.name} answered "${text.slice(0, 60)}" in ${execution.stepCount} step(s)${live}`;
      } finally {
        await call(`/v1/agents/${agentId}`, { method: 'DELETE' }).catch(() => undefined);
      }
    },
    !authOk ? 'needs a working key' : options.model ? undefined : 'no --model given (the stage needs a configured provider)',
  );
  socket?.close();

  return { ok: checks.every((c) => c.status !== 'failed'), checks };
};

/** A WebSocket (Node's global one) with a wait for the next frame that matches. */
class Socket {
  readonly #ws: WebSocket;
  readonly #frames: Frame[] = [];
  #waiters: Array<{ match: (m: Frame) => boolean; resolve: (m: Frame) => void }> = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (event) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch {
        return;
      }
      const waiter = this.#waiters.find((w) => w.match(frame));
      if (waiter) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      } else this.#frames.push(frame);
    });
  }

  static open(url: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const socket = new Socket(ws);
      ws.addEventListener('open', () => resolve(socket), { once: true });
      ws.addEventListener('error', () => reject(new CheckFailed(`could not connect to ${url.replace(/token=[^&]*/, 'token=…')}`)), { once: true });
    });
  }

  send(frame: unknown): void {
    this.#ws.send(JSON.stringify(frame));
  }

  next(match: (m: Frame) => boolean, what: string, timeoutMs: number): Promise<Frame> {
    const seen = this.#frames.findIndex(match);
    if (seen >= 0) return Promise.resolve(this.#frames.splice(seen, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new CheckFailed(`no ${what} within ${timeoutMs} ms (last frames: ${JSON.stringify(this.#frames.slice(-3)).slice(0, 300)})`));
      }, timeoutMs);
      const done = (m: Frame) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.#waiters.push({ match, resolve: done });
    });
  }

  close(): void {
    this.#ws.close();
  }
}

const USAGE = `Usage: npm run smoke -- --url <RestApiUrl> --key <API key> [--ws <WebSocketUrl>] [--model provider:name] [--require-agent] [--json]
  --url            the stack's RestApiUrl output (or the local runtime's REST URL)
  --ws             the stack's WebSocketUrl output; without it the WebSocket check is skipped
  --key            an admin or developer API key (default: $MLS_API_KEY)
  --model          the agent run's model, e.g. openai:gpt-4o-mini (the stage needs that provider configured);
                   without it the agent run is skipped
  --require-agent  fail instead of skipping the agent run or the WebSocket check
  --timeout        seconds the agent run may take (default 120)
  --json           print the result as JSON`;

const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      ws: { type: 'string' },
      key: { type: 'string' },
      model: { type: 'string' },
      'require-agent': { type: 'boolean', default: false },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const key = values.key ?? process.env.MLS_API_KEY;
  if (values.help || !values.url || !key) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let model: SmokeOptions['model'];
  if (values.model) {
    const [provider, ...name] = values.model.split(':');
    if ((provider !== 'openai' && provider !== 'anthropic') || name.length === 0) {
      process.stderr.write(`--model must be openai:<model> or anthropic:<model>, not ${values.model}\n`);
      return 2;
    }
    model = { provider, name: name.join(':') };
  }
  const result = await runSmoke({
    url: values.url,
    ws: values.ws,
    key,
    model,
    requireAgent: values['require-agent'],
    ...(values.timeout ? { agentTimeoutMs: Number(values.timeout) * 1000 } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else for (const c of result.checks) process.stdout.write(`${c.status}\t${c.name}\t${c.detail}\n`);
  return result.ok ? 0 : 1;
};

if (import.meta.main) process.exitCode = await main();
