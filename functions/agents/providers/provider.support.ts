/**
 * What both provider adapters share: tool-argument parsing, the whole-call deadline, and the mapping of
 * HTTP failures onto the domain's model errors.
 */

import {
  ModelRequestError,
  ModelOutputTooLongError,
  ModelThrottledError,
  ModelTimeoutError,
  ModelUnavailableError,
  ModelError,
} from '../models/model.errors.ts';
import type { GenerateOptions, ModelProviderName, ModelResponse, StopReason, ToolCall, ToolCallRequest } from '../models/model.types.ts';

/** Default whole-call deadline: well inside the model task's Lambda timeout, so the task can still record why. */
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;

/**
 * Parses the model's argument text. Models do produce truncated or invalid JSON, and arguments that are
 * valid JSON but not an object; both become a `parseError` the tool runner can show the model.
 * An empty string means "no arguments" (some OpenAI-compatible servers send nothing for argument-less tools).
 */
export const parseToolCall = (call: ToolCallRequest): ToolCall => {
  const text = call.arguments.trim();
  if (text === '') return { ...call, parsed: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ...call, parseError: `arguments are not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ...call, parseError: 'arguments must be a JSON object' };
  }
  return { ...call, parsed: value as Record<string, unknown> };
};

/**
 * Arguments to replay in the conversation for an earlier tool call. Providers may reject a history that
 * carries invalid JSON (Anthropic needs an object outright), so a call that did not parse is replayed as
 * `{}`; the tool result that follows tells the model what was wrong with what it sent.
 */
export const replayableArguments = (raw: string): Record<string, unknown> => {
  const call = parseToolCall({ id: '', name: '', arguments: raw });
  return call.parsed ?? {};
};

/** `retry-after-ms` (OpenAI), else `retry-after` as seconds or an HTTP date; undefined when absent. */
export const retryAfterSeconds = (headers: Headers | undefined, now = Date.now()): number | undefined => {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
};

/** The one mapping from an HTTP answer to a model error. */
export const errorFromStatus = (
  provider: ModelProviderName,
  status: number,
  message: string,
  headers: Headers | undefined,
  cause: unknown,
): ModelError => {
  if (status === 429) return new ModelThrottledError(provider, message, retryAfterSeconds(headers), status, { cause });
  if (status === 408) return new ModelTimeoutError(provider, message, status, { cause });
  // 409 is how OpenAI reports a transient lock conflict; its SDK retries it too.
  if (status >= 500 || status === 409) return new ModelUnavailableError(provider, message, status, { cause });
  return new ModelRequestError(provider, message, status, { cause });
};

/**
 * The key to hand the SDK. A custom base URL usually means a local compatible server (vLLM, Ollama, the
 * test server) that ignores keys, so a placeholder does there. Against the public API a missing key is a
 * configuration error; it is reported on the call, as a non-retryable ModelRequestError, instead of the
 * SDK throwing at cold start for every agent of the other provider too.
 */
export const resolveApiKey = (apiKey: string | undefined, baseURL: string | undefined): string | undefined =>
  apiKey || (baseURL ? 'no-key-needed' : undefined);

export interface Deadline {
  signal: AbortSignal;
  /** Why the call was cut short, for the `ModelTimeoutError` message. */
  reason(): string;
  /** Whether it was cut short by time (its own deadline or the caller's), not by a cancellation. */
  timedOut(): boolean;
}

/**
 * A stream whose last event is at most this old when the time runs out was still answering: the answer is
 * longer than the time allows (ModelOutputTooLongError, not retried). Older than that, the stream had stalled,
 * which another try may not meet (ModelTimeoutError, retried). A quarter of a short deadline at most.
 */
export const STILL_STREAMING_MS = 10_000;
const stillStreamingWindow = (timeoutMs: number): number => Math.min(STILL_STREAMING_MS, timeoutMs / 4);

/**
 * One signal for the whole call: the caller's abort or the deadline, whichever comes first. The SDKs'
 * own `timeout` only covers the wait for response headers, not a stream that stalls half-way, so the
 * deadline is passed to them as the request signal and checked again once the stream ends (both SDKs end
 * an aborted stream quietly instead of throwing).
 */
export const startDeadline = (timeoutMs: number, callerSignal?: AbortSignal): Deadline => {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
  return {
    signal,
    reason: () => {
      if (timeout.aborted) return `no complete answer within ${timeoutMs} ms`;
      // The caller's own deadline (the task's time running out) is a timeout too, not a cancellation.
      if ((callerSignal?.reason as Error | undefined)?.name === 'TimeoutError') return 'no complete answer before the task ran out of time';
      return 'the model call was aborted by the caller';
    },
    timedOut: () => timeout.aborted || (callerSignal?.reason as Error | undefined)?.name === 'TimeoutError',
  };
};

interface Progress {
  lastEventAt: number;
  timeoutMs: number;
}

/** Passes a stream through, noting when its last event arrived. */
const tracked = async function* <Chunk>(stream: AsyncIterable<Chunk>, progress: Progress): AsyncIterable<Chunk> {
  for await (const chunk of stream) {
    progress.lastEventAt = performance.now();
    yield chunk;
  }
};

/** The error for a call that ran out of time: too long an answer (still streaming) or a hang (stalled). */
const timeoutError = (provider: ModelProviderName, deadline: Deadline, progress: Progress, cause?: unknown): ModelError => {
  const options = cause === undefined ? undefined : { cause };
  if (deadline.timedOut() && performance.now() - progress.lastEventAt <= stillStreamingWindow(progress.timeoutMs)) {
    return new ModelOutputTooLongError(
      provider,
      `${deadline.reason()}: the answer was still streaming, so it is longer than a model call's time allows; lower the agent's maxTokens or ask for a shorter answer`,
      undefined,
      options,
    );
  }
  return new ModelTimeoutError(provider, deadline.reason(), undefined, options);
};

/** One streamed answer, as each adapter assembles it from its provider's events. */
export interface AssembledTurn {
  /**
   * Whether the stream carried its provider's finish marker. A stream that ends without it (a connection cut
   * short, a proxy that gave up, a plain JSON body answering the streaming request) is a broken stream, never
   * a complete answer: what arrived may be any prefix of the real one, or nothing.
   */
  finished: boolean;
  text: string;
  toolCalls: ToolCallRequest[];
  usage: { inputTokens: number; outputTokens: number };
  /** The provider's own stop/finish reason. */
  stopReason: string | null;
  model: string | undefined;
}

/** The two SDKs (both generated by Stainless) share these error classes' shapes. */
export interface SdkErrors {
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  APIError: abstract new (...args: never[]) => Error & { status?: number; headers?: Headers; type?: string | null };
}

export interface TurnSpec<Chunk> {
  provider: ModelProviderName;
  requestModel: string;
  timeoutMs: number;
  options: GenerateOptions;
  stopReasons: Record<string, StopReason>;
  sdk: SdkErrors;
  /** What ends a complete stream of this provider, for the broken-stream message (`finish_reason`, `message_stop`). */
  finishMarker: string;
  /** Opens the stream; `response` is the HTTP response it reads (its content type tells an event stream from plain JSON). */
  open: (signal: AbortSignal, timeoutMs: number) => Promise<{ stream: AsyncIterable<Chunk>; response: Pick<Response, 'headers'> }>;
  assemble: (stream: AsyncIterable<Chunk>, onToken: GenerateOptions['onToken']) => Promise<AssembledTurn>;
}

/** Why a stream that ended without its finish marker is not an answer, in words an operator can act on. */
export const brokenStreamReason = (finishMarker: string, contentType: string | null): string => {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type && type !== 'text/event-stream') {
    return `broken response stream: the streaming request was answered with ${type}, not an event stream (no ${finishMarker})`;
  }
  return `broken response stream: it ended before its finish marker (${finishMarker}), so the answer is truncated`;
};

/** Runs one streamed model call under the whole-call deadline and maps every failure to a model error. */
export const runTurn = async <Chunk>(spec: TurnSpec<Chunk>): Promise<ModelResponse> => {
  const started = performance.now();
  const timeoutMs = spec.options.timeoutMs ?? spec.timeoutMs;
  const deadline = startDeadline(timeoutMs, spec.options.signal);
  // Never "still streaming" before the first event: a call that got no answer at all is a hang.
  const progress: Progress = { lastEventAt: Number.NEGATIVE_INFINITY, timeoutMs };
  let streaming = false;
  try {
    const { stream, response } = await spec.open(deadline.signal, timeoutMs);
    streaming = true;
    const turn = await spec.assemble(tracked(stream, progress), spec.options.onToken);
    if (deadline.signal.aborted) throw timeoutError(spec.provider, deadline, progress);
    // Retried by the state machine like any other broken stream (ModelUnavailableError), never stored as an answer.
    if (!turn.finished) throw new ModelUnavailableError(spec.provider, brokenStreamReason(spec.finishMarker, response.headers.get('content-type')));
    return {
      text: turn.text,
      toolCalls: turn.toolCalls.map(parseToolCall),
      usage: turn.usage,
      stopReason: (turn.stopReason && spec.stopReasons[turn.stopReason]) || 'other',
      rawStopReason: turn.stopReason,
      model: turn.model ?? spec.requestModel,
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    throw toModelError(spec.provider, spec.sdk, error, deadline, streaming, progress);
  }
};

const toModelError = (
  provider: ModelProviderName,
  sdk: SdkErrors,
  error: unknown,
  deadline: Deadline,
  streaming: boolean,
  progress: Progress,
): unknown => {
  if (error instanceof ModelError) return error;
  // Checked first: an abort surfaces as APIUserAbortError, or as a connection error mid-stream.
  if (deadline.signal.aborted) return timeoutError(provider, deadline, progress, error);
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new ModelTimeoutError(provider, error.message, undefined, { cause: error });
  }
  if (error instanceof sdk.APIError) {
    if (error.status !== undefined) return errorFromStatus(provider, error.status, error.message, error.headers, error);
    // No status: a dropped connection, or an error event in the middle of the stream.
    if (error.type === 'rate_limit_error') {
      return new ModelThrottledError(provider, error.message, retryAfterSeconds(error.headers), undefined, { cause: error });
    }
    return new ModelUnavailableError(provider, error.message, undefined, { cause: error });
  }
  // Once the answer is streaming, anything else (a reset connection, a chunk that is not JSON, a stream
  // that ends early) is a broken stream on the provider's side, worth another try; before that it is a bug of ours.
  if (streaming) {
    const reason = error instanceof Error ? error.message : String(error);
    return new ModelUnavailableError(provider, `the response stream broke: ${reason}`, undefined, { cause: error });
  }
  return error;
};
