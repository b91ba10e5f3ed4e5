/**
 * A model server for tests: speaks OpenAI `POST /v1/chat/completions` and Anthropic `POST /v1/messages`
 * (streaming and not) so the real SDKs can be pointed at it through their base-URL settings. Each request
 * takes the next scripted turn from one queue; every request is recorded for assertions.
 *
 *   const models = await startScriptedModelServer();
 *   process.env.OPENAI_BASE_URL = models.openaiBaseURL;
 *   process.env.ANTHROPIC_BASE_URL = models.anthropicBaseURL;
 *   models.script([{ toolCalls: [{ name: 'calculator', arguments: { expression: '2+2' } }] }, { text: 'done' }]);
 *
 * Faults: `{ status: 429, retryAfter: 1 }`, `{ status: 500 }`, `{ hang: true }` (no answer at all),
 * `{ text: 'partial', hang: true }` (stalls mid-stream), `{ malformedToolArguments: true, toolCalls }`,
 * `{ text, truncate: true }` (ends without the finish marker), `{ text, nonStream: true }` (plain JSON to a
 * streaming request), `{ text, malformedFrame: true }` (a frame that is not JSON). `holdAfter` pauses a stream
 * until the test lets it go on; each recorded request's `ended` tells whether the client stayed to the end.
 * A turn may also be a function of the recorded request, and `setDefault` answers once the queue is empty.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextId, planAnswer } from './answer.ts';
import { anthropicError, anthropicMessage, anthropicStream } from './anthropic.wire.ts';
import { openaiCompletion, openaiError, openaiStream, type WireEvent } from './openai.wire.ts';
import type { RecordedRequest, ScriptedAnswer, ScriptedFault, ScriptedTurn } from './script.types.ts';

export type * from './script.types.ts';

export interface ScriptedModelServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** For `OPENAI_BASE_URL` (the OpenAI SDK's base includes `/v1`). */
  openaiBaseURL: string;
  /** For `ANTHROPIC_BASE_URL` (the Anthropic SDK adds `/v1/messages` itself). */
  anthropicBaseURL: string;
  /** Queues turns, answered in order by the next requests of either provider. */
  script(turns: ScriptedTurn[]): void;
  /** The answer once the queue is empty; without one, an exhausted script answers 400 (fails fast, not retried). */
  setDefault(turn: ScriptedTurn | undefined): void;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** When each streamed text token was written to the socket (epoch ms with fractions), for benchmarks. */
  readonly tokensSent: { text: string; sentAt: number }[];
  /** Turns still queued. */
  pending(): number;
  /** Empties the queue, the default, and the records. */
  reset(): void;
  close(): Promise<void>;
}

const now = (): number => performance.timeOrigin + performance.now();

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const sendJson = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

const isFault = (turn: ScriptedTurn): turn is ScriptedFault => typeof turn === 'object' && 'status' in turn;

export const startScriptedModelServer = async (): Promise<ScriptedModelServer> => {
  let queue: ScriptedTurn[] = [];
  let fallback: ScriptedTurn | undefined;
  let closing = false;
  const requests: RecordedRequest[] = [];
  const tokensSent: { text: string; sentAt: number }[] = [];

  const nextTurn = (recorded: RecordedRequest): Exclude<ScriptedTurn, (...args: never[]) => unknown> | undefined => {
    let turn = queue.shift() ?? fallback;
    while (typeof turn === 'function') turn = turn(recorded);
    return turn;
  };

  const stream = async (response: ServerResponse, events: WireEvent[], answer: ScriptedAnswer, finish: boolean) => {
    const delayMs = answer.tokenDelayMs ?? 0;
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const holds = answer.holdAfter === undefined ? [] : [answer.holdAfter].flat();
    for (const [i, event] of events.entries()) {
      if (response.destroyed) return;
      for (const hold of holds) if (hold.events === i) await hold.until;
      if (delayMs > 0 && i > 0) await sleep(delayMs);
      if (response.destroyed) return;
      response.write(event.frame);
      if (event.token !== undefined) tokensSent.push({ text: event.token, sentAt: now() });
    }
    // A hanging stream stays open until the client gives up or the server closes.
    if (finish) response.end();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const provider = path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : undefined;
    if (request.method !== 'POST' || !provider) {
      sendJson(response, 404, { error: { message: `scripted model server: no route ${request.method} ${path}` } });
      return;
    }
    const raw = await readBody(request);
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      sendJson(response, 400, { error: { message: 'scripted model server: body is not JSON' } });
      return;
    }
    // The answer is over when the response finished (all written) or its connection closed before that.
    const ended = new Promise<'complete' | 'aborted' | 'unanswered'>((resolve) => {
      response.once('finish', () => resolve('complete'));
      response.once('close', () => resolve(closing ? 'unanswered' : 'aborted'));
    });
    const recorded: RecordedRequest = {
      provider,
      method: request.method,
      path,
      headers: request.headers,
      body,
      receivedAt: now(),
      ended,
    };
    requests.push(recorded);
    const errorBody = provider === 'openai' ? openaiError : anthropicError;
    const requestIdHeader = provider === 'openai' ? 'x-request-id' : 'request-id';
    const requestId = nextId('req_');

    const turn = nextTurn(recorded);
    if (turn === undefined) {
      sendJson(response, 400, errorBody(400, 'scripted model server: no scripted turn left for this request'), {
        [requestIdHeader]: requestId,
      });
      return;
    }
    if (isFault(turn)) {
      sendJson(response, turn.status, errorBody(turn.status, turn.message ?? `scripted ${turn.status}`), {
        [requestIdHeader]: requestId,
        ...(turn.retryAfter !== undefined ? { 'retry-after': String(turn.retryAfter) } : {}),
      });
      return;
    }
    const answer: ScriptedAnswer = turn;
    if (answer.hang && answer.text === undefined && answer.tokens === undefined && answer.toolCalls === undefined) {
      return; // never answer; the socket is destroyed on close()
    }

    const plan = planAnswer(answer, recorded, provider === 'openai' ? 'call_' : 'toolu_');
    const messageId = nextId('msg_');
    if (body.stream === true && !answer.nonStream) {
      const shape = { stopReason: answer.stopReason, hang: answer.hang, truncate: answer.truncate, malformedFrame: answer.malformedFrame };
      const events = provider === 'openai' ? openaiStream(plan, body, shape) : anthropicStream(plan, body, { ...shape, messageId });
      await stream(response, events, answer, !answer.hang);
      return;
    }
    if (answer.hang) return;
    sendJson(
      response,
      200,
      provider === 'openai' ? openaiCompletion(plan, body, answer.stopReason) : anthropicMessage(plan, body, messageId, answer.stopReason),
      { [requestIdHeader]: requestId },
    );
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: String(error) } });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    script: (turns) => {
      queue.push(...turns);
    },
    setDefault: (turn) => {
      fallback = turn;
    },
    requests,
    tokensSent,
    pending: () => queue.length,
    reset: () => {
      queue = [];
      fallback = undefined;
      requests.length = 0;
      tokensSent.length = 0;
    },
    close: async () => {
      closing = true;
      // Hanging requests hold their sockets open; close() alone would wait for them forever.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
};
