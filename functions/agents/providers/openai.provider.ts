/**
 * OpenAI chat completions (and any OpenAI-compatible server via `OPENAI_BASE_URL`) behind the model port.
 * Always streams, so tokens reach subscribers as they are generated; tool-call fragments are assembled
 * by their `index`, and usage arrives in the final chunk because of `stream_options.include_usage`.
 */

import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionContentPart,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { ModelRequestError } from '../models/model.errors.ts';
import type {
  GenerateOptions,
  ModelMessage,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  StopReason,
  ToolCallRequest,
  UserContentPart,
} from '../models/model.types.ts';
import { runTurn, type AssembledTurn, DEFAULT_MODEL_TIMEOUT_MS, replayableArguments, resolveApiKey } from './provider.support.ts';

export interface OpenAIProviderOptions {
  /** Defaults to `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Defaults to `OPENAI_BASE_URL`, else the public API. */
  baseURL?: string;
  timeoutMs?: number;
}

const STOP_REASONS: Record<string, StopReason> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
  content_filter: 'content_filter',
};

export class OpenAIProvider implements ModelProvider {
  readonly name = 'openai' as const;
  readonly #client: OpenAI;
  readonly #timeoutMs: number;
  readonly #hasKey: boolean;

  constructor(options: OpenAIProviderOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
    const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL;
    const apiKey = resolveApiKey(options.apiKey ?? process.env.OPENAI_API_KEY, baseURL);
    this.#hasKey = apiKey !== undefined;
    this.#client = new OpenAI({
      apiKey: apiKey ?? 'missing',
      baseURL: baseURL ?? null,
      // Step Functions owns retries (with backoff, visible in the execution history); the SDK must not
      // retry behind its back and stretch one task past its timeout.
      maxRetries: 0,
      timeout: this.#timeoutMs,
    });
  }

  async generate(request: ModelRequest, options: GenerateOptions = {}): Promise<ModelResponse> {
    if (!this.#hasKey) throw new ModelRequestError(this.name, 'OPENAI_API_KEY is not set');
    return runTurn({
      provider: this.name,
      requestModel: request.model,
      timeoutMs: this.#timeoutMs,
      options,
      stopReasons: STOP_REASONS,
      sdk: OpenAI,
      finishMarker: 'finish_reason',
      open: async (signal, timeout) => {
        const { data, response } = await this.#client.chat.completions.create(toOpenAIParams(request), { signal, timeout }).withResponse();
        return { stream: data, response };
      },
      assemble,
    });
  }
}

const assemble = async (stream: AsyncIterable<ChatCompletionChunk>, onToken: GenerateOptions['onToken']): Promise<AssembledTurn> => {
  let text = '';
  let stopReason: string | null = null;
  let model: string | undefined;
  const usage = { inputTokens: 0, outputTokens: 0 };
  // Fragments of one call share an `index`; only the first carries its id and name.
  const calls = new Map<number, ToolCallRequest>();
  for await (const chunk of stream) {
    model ??= chunk.model || undefined;
    if (chunk.usage) {
      usage.inputTokens = chunk.usage.prompt_tokens;
      usage.outputTokens = chunk.usage.completion_tokens;
    }
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const { content, tool_calls: toolCalls } = choice.delta ?? {};
    if (content) {
      text += content;
      onToken?.(content);
    }
    for (const fragment of toolCalls ?? []) {
      const call = calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
      if (fragment.id) call.id = fragment.id;
      if (fragment.function?.name) call.name += fragment.function.name;
      if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
      calls.set(fragment.index, call);
    }
    if (choice.finish_reason) stopReason = choice.finish_reason;
  }
  // The SDK ends its iterator quietly both at `[DONE]` and when the body just stops, and a JSON body gives it
  // no events at all: the choice's finish_reason is the marker that the answer is whole.
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, call]) => ({
      ...call,
      // Some OpenAI-compatible servers omit ids; the conversation still needs one to pair results.
      id: call.id || `call_${index}`,
    }));
  return { finished: stopReason !== null, text, toolCalls, usage, stopReason, model };
};

const toOpenAIParams = (request: ModelRequest): ChatCompletionCreateParamsStreaming => ({
  model: request.model,
  messages: request.messages.map(toOpenAIMessage),
  stream: true,
  stream_options: { include_usage: true },
  ...(request.tools && request.tools.length > 0
    ? {
        tools: request.tools.map((tool) => ({
          type: 'function' as const,
          function: { name: tool.name, description: tool.description, parameters: tool.parameters },
        })),
      }
    : {}),
  ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  // `max_tokens` is deprecated and rejected by reasoning models; current OpenAI-compatible servers
  // (vLLM, Ollama, LM Studio) accept `max_completion_tokens`.
  ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
});

const toOpenAIMessage = (message: ModelMessage): ChatCompletionMessageParam => {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return {
        role: 'user',
        content: typeof message.content === 'string' ? message.content : message.content.map(toOpenAIPart),
      };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        ...(message.toolCalls && message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: JSON.stringify(replayableArguments(call.arguments)) },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
};

const toOpenAIPart = (part: UserContentPart): ChatCompletionContentPart => {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const url = 'url' in part ? part.url : `data:${part.mediaType};base64,${Buffer.from(part.data).toString('base64')}`;
  return { type: 'image_url', image_url: { url } };
};
