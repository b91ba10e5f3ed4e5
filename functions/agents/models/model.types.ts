/**
 * The model provider port: what the agent loop needs from a language model, in provider-neutral terms.
 * Adapters in `functions/agents/providers/` translate to and from each provider's wire format; nothing here
 * knows an SDK.
 */

export type ModelProviderName = 'openai' | 'anthropic';

export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export interface TextPart {
  type: 'text';
  text: string;
}

/** An image given by its bytes (sent inline, base64) or by a URL the provider fetches itself. */
export type ImagePart = { type: 'image'; data: Uint8Array; mediaType: ImageMediaType } | { type: 'image'; url: string };

export type UserContentPart = TextPart | ImagePart;

/** A tool call as the model asked for it; `arguments` is the raw JSON text the model produced. */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

export type ModelMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | UserContentPart[] }
  | { role: 'assistant'; content: string; toolCalls?: ToolCallRequest[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

/** JSON Schema (draft 2020-12 subset the providers accept) for a tool's arguments; `type` must be `object`. */
export type JsonSchema = { type: 'object'; [keyword: string]: unknown };

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export interface ModelRequest {
  /** The provider's model name, e.g. `gpt-4o-mini` or `claude-sonnet-4-5`. */
  model: string;
  messages: ModelMessage[];
  tools?: ToolDefinition[];
  temperature?: number;
  maxTokens?: number;
}

export interface GenerateOptions {
  /**
   * Called with each text fragment as it arrives; batching for subscribers is the caller's job. It should
   * not throw: an exception thrown mid-stream is reported as a broken stream (`ModelUnavailableError`).
   */
  onToken?: (text: string) => void;
  /** Aborting ends the call with a `ModelTimeoutError` (the Lambda's deadline is the usual reason). */
  signal?: AbortSignal;
  /** Overrides the provider's whole-call deadline (headers and the full stream) for this call. */
  timeoutMs?: number;
}

/**
 * A tool call whose arguments either parsed into a JSON object or did not. A parse failure is data, not an
 * exception: the tool runner hands the model an error result and the model gets a chance to correct itself.
 */
export type ToolCall = ToolCallRequest & ({ parsed: Record<string, unknown>; parseError?: undefined } | { parsed?: undefined; parseError: string });

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Normalised reason the model stopped; `other` covers provider-specific reasons (the raw one is kept). */
export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'content_filter' | 'other';

export interface ModelResponse {
  text: string;
  toolCalls: ToolCall[];
  usage: ModelUsage;
  stopReason: StopReason;
  /** The provider's own stop reason (`finish_reason` / `stop_reason`), for diagnostics. */
  rawStopReason: string | null;
  /** The model that actually answered, as the provider reported it. */
  model: string;
  latencyMs: number;
}

export interface ModelProvider {
  readonly name: ModelProviderName;
  generate(request: ModelRequest, options?: GenerateOptions): Promise<ModelResponse>;
}
