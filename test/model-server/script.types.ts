/** What a test can ask the scripted model server to do for one model call. */

export interface ScriptedToolCall {
  /** Defaults to a provider-style id (`call_…` / `toolu_…`). */
  id?: string;
  name: string;
  /** An object is sent as JSON; a string is sent verbatim (use it for hand-made malformed JSON). */
  arguments?: Record<string, unknown> | string;
}

/** A model answer: text, tool calls, or both. */
export interface ScriptedAnswer {
  text?: string;
  /** How the text is split into streamed deltas; defaults to one delta per word (with its leading space). */
  tokens?: string[];
  toolCalls?: ScriptedToolCall[];
  /**
   * Cut every tool call's JSON arguments short, as a model does when it runs out of tokens mid-call. With no
   * `toolCalls`, one call to the first tool the request offered is made up.
   */
  malformedToolArguments?: boolean;
  /** Defaults are derived from the request and answer sizes (about four characters a token). */
  usage?: { inputTokens?: number; outputTokens?: number };
  /** The provider's raw stop reason; defaults to the natural one (`stop`/`tool_calls`, `end_turn`/`tool_use`). */
  stopReason?: string;
  /** Pause between streamed events, to let a test observe tokens arriving one by one. */
  tokenDelayMs?: number;
  /** Stream the answer's text, then stall without finishing the stream. */
  hang?: boolean;
  /**
   * Stream the answer (text and tool calls), then end the response cleanly but without the provider's finish
   * marker: OpenAI's finish_reason chunk, usage chunk and `[DONE]`; Anthropic's message_delta and message_stop.
   */
  truncate?: boolean;
  /** Answer a streaming request with the non-streaming JSON body (`application/json`), as a misconfigured proxy might. */
  nonStream?: boolean;
  /** After the text, send a stream frame whose data is not JSON, then end the response. */
  malformedFrame?: boolean;
  /**
   * Send the first `events` stream frames, then wait for `until` before sending the rest: lets a test act (cancel,
   * restart a service) while a model call is in flight, at a point it chose. Several holds apply in turn.
   */
  holdAfter?: StreamHold | StreamHold[];
}

export interface StreamHold {
  /** How many stream frames go out before the hold. */
  events: number;
  until: PromiseLike<unknown>;
}

/** An HTTP error answer in the provider's error format. */
export interface ScriptedFault {
  status: number;
  /** Seconds, sent as `retry-after`. */
  retryAfter?: number;
  message?: string;
}

/** Accept the request and never answer (not even headers). */
export interface ScriptedHang {
  hang: true;
}

export interface RecordedRequest {
  provider: 'openai' | 'anthropic';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, exactly as the SDK sent it. */
  body: any;
  receivedAt: number;
  /**
   * Settles when the answer is over: `complete` once all of it was written, `aborted` when the client went away
   * first (a cancelled or timed-out call), `unanswered` for a request left hanging until close().
   */
  ended: Promise<'complete' | 'aborted' | 'unanswered'>;
}

export type ScriptedTurn = ScriptedAnswer | ScriptedFault | ScriptedHang | ((request: RecordedRequest) => ScriptedTurn);
