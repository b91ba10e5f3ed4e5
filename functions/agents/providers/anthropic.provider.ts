/**
 * Anthropic messages (and any compatible server via `ANTHROPIC_BASE_URL`) behind the model port. Always
 * streams; the raw events are assembled here rather than by the SDK's `MessageStream` helper because that
 * helper parses tool input as it arrives and would throw on the malformed JSON we must keep as data.
 */

import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  TextBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
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

export interface AnthropicProviderOptions {
  /** Defaults to `ANTHROPIC_API_KEY`. */
  apiKey?: string;
  /** Defaults to `ANTHROPIC_BASE_URL`, else the public API. */
  baseURL?: string;
  timeoutMs?: number;
  /** Anthropic requires `max_tokens`; used when the agent sets none. */
  defaultMaxTokens?: number;
}

const STOP_REASONS: Record<string, StopReason> = {
  end_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  model_context_window_exceeded: 'max_tokens',
  stop_sequence: 'stop_sequence',
  refusal: 'content_filter',
};

export class AnthropicProvider implements ModelProvider {
  readonly name = 'anthropic' as const;
  readonly #client: Anthropic;
  readonly #timeoutMs: number;
  readonly #hasKey: boolean;
  readonly #defaultMaxTokens: number;

  constructor(options: AnthropicProviderOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
    this.#defaultMaxTokens = options.defaultMaxTokens ?? 4096;
    const baseURL = options.baseURL ?? process.env.ANTHROPIC_BASE_URL;
    const apiKey = resolveApiKey(options.apiKey ?? process.env.ANTHROPIC_API_KEY, baseURL);
    this.#hasKey = apiKey !== undefined;
    this.#client = new Anthropic({
      apiKey: apiKey ?? 'missing',
      baseURL: baseURL ?? null,
      // Step Functions owns retries (with backoff, visible in the execution history); the SDK must not
      // retry behind its back and stretch one task past its timeout.
      maxRetries: 0,
      timeout: this.#timeoutMs,
    });
  }

  async generate(request: ModelRequest, options: GenerateOptions = {}): Promise<ModelResponse> {
    if (!this.#hasKey) throw new ModelRequestError(this.name, 'ANTHROPIC_API_KEY is not set');
    return runTurn({
      provider: this.name,
      requestModel: request.model,
      timeoutMs: this.#timeoutMs,
      options,
      stopReasons: STOP_REASONS,
      sdk: Anthropic,
      finishMarker: 'message_stop',
      open: async (signal, timeout) => {
        const { data, response } = await this.#client.messages
          .create(toAnthropicParams(request, this.#defaultMaxTokens), { signal, timeout })
          .withResponse();
        return { stream: data, response };
      },
      assemble,
    });
  }
}

const assemble = async (stream: AsyncIterable<RawMessageStreamEvent>, onToken: GenerateOptions['onToken']): Promise<AssembledTurn> => {
  let text = '';
  let stopReason: string | null = null;
  let model: string | undefined;
  let completed = false;
  const usage = { inputTokens: 0, outputTokens: 0 };
  // Tool-use blocks by content-block index; their input arrives as `input_json_delta` fragments.
  const calls = new Map<number, ToolCallRequest>();
  for await (const event of stream) {
    switch (event.type) {
      case 'message_start':
        model = event.message.model;
        usage.inputTokens = event.message.usage.input_tokens;
        usage.outputTokens = event.message.usage.output_tokens;
        break;
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') {
          calls.set(event.index, { id: event.content_block.id, name: event.content_block.name, arguments: '' });
        } else if (event.content_block.type === 'text' && event.content_block.text) {
          text += event.content_block.text;
          onToken?.(event.content_block.text);
        }
        break;
      case 'content_block_delta':
        if (event.delta.type === 'text_delta') {
          text += event.delta.text;
          onToken?.(event.delta.text);
        } else if (event.delta.type === 'input_json_delta') {
          const call = calls.get(event.index);
          if (call) call.arguments += event.delta.partial_json;
        }
        break;
      case 'message_delta':
        // Counts in `message_delta` are cumulative, so they replace rather than add.
        if (event.usage.input_tokens != null) usage.inputTokens = event.usage.input_tokens;
        usage.outputTokens = event.usage.output_tokens;
        stopReason = event.delta.stop_reason ?? stopReason;
        break;
      case 'message_stop':
        completed = true;
        break;
      default:
        break;
    }
  }
  const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  return { finished: completed, text, toolCalls, usage, stopReason, model };
};

const toAnthropicParams = (request: ModelRequest, defaultMaxTokens: number): MessageCreateParamsStreaming => {
  const system = request.messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages: toAnthropicMessages(request.messages),
    stream: true,
    ...(system ? { system } : {}),
    ...(request.tools && request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            name: tool.name,
            description: tool.description,
            input_schema: tool.parameters,
          })),
        }
      : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
};

/**
 * Anthropic has no `tool` role: results are `tool_result` blocks in a user turn, and all results for one
 * assistant turn belong in the same user message. Adjacent same-role messages are merged so the history
 * alternates user/assistant as the API expects.
 */
const toAnthropicMessages = (messages: ModelMessage[]): MessageParam[] => {
  const result: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    const last = result.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else result.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        break;
      case 'user':
        push('user', typeof message.content === 'string' ? [textBlock(message.content)] : message.content.map(toAnthropicPart));
        break;
      case 'assistant':
        push('assistant', [
          ...(message.content ? [textBlock(message.content)] : []),
          ...(message.toolCalls ?? []).map((call) => ({
            type: 'tool_use' as const,
            id: call.id,
            name: call.name,
            input: replayableArguments(call.arguments),
          })),
        ]);
        break;
      case 'tool':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: message.toolCallId,
            content: message.content,
            ...(message.isError ? { is_error: true } : {}),
          },
        ]);
        break;
    }
  }
  return result;
};

const textBlock = (text: string): TextBlockParam => ({ type: 'text', text });

const toAnthropicPart = (part: UserContentPart): TextBlockParam | ImageBlockParam => {
  if (part.type === 'text') return textBlock(part.text);
  if ('url' in part) return { type: 'image', source: { type: 'url', url: part.url } };
  return {
    type: 'image',
    source: { type: 'base64', media_type: part.mediaType, data: Buffer.from(part.data).toString('base64') },
  };
};
