/**
 * Anthropic messages wire format: a `message` object, or named SSE events (`event: <type>\ndata: {json}\n\n`):
 * `message_start` (usage with the input tokens), per content block `content_block_start` /
 * `content_block_delta` (`text_delta` or `input_json_delta`) / `content_block_stop`, a `ping`, then
 * `message_delta` (stop reason, cumulative output tokens) and `message_stop`.
 */

import type { PlannedAnswer } from './answer.ts';
import type { WireEvent } from './openai.wire.ts';

const event = (type: string, payload: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

export const anthropicStopReason = (plan: PlannedAnswer, override?: string): string =>
  override ?? (plan.toolCalls.length > 0 ? 'tool_use' : 'end_turn');

const usage = (inputTokens: number, outputTokens: number) => ({
  input_tokens: inputTokens,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: outputTokens,
  service_tier: 'standard',
});

export const anthropicStream = (
  plan: PlannedAnswer,
  body: any,
  options: { stopReason?: string; hang?: boolean; truncate?: boolean; malformedFrame?: boolean; messageId: string },
): WireEvent[] => {
  const events: WireEvent[] = [
    {
      frame: event('message_start', {
        message: {
          id: options.messageId,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: usage(plan.inputTokens, 1),
        },
      }),
    },
  ];
  let index = 0;
  if (plan.tokens.length > 0) {
    events.push({ frame: event('content_block_start', { index, content_block: { type: 'text', text: '' } }) });
    events.push({ frame: event('ping', {}) });
    for (const token of plan.tokens) {
      events.push({
        frame: event('content_block_delta', { index, delta: { type: 'text_delta', text: token } }),
        token,
      });
    }
    if (options.hang) return events;
    events.push({ frame: event('content_block_stop', { index }) });
    index += 1;
  }
  if (options.hang) return events;
  if (options.malformedFrame) return [...events, { frame: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":\n\n' }];
  for (const call of plan.toolCalls) {
    events.push({
      frame: event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      }),
    });
    for (const partial of call.fragments) {
      events.push({
        frame: event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: partial } }),
      });
    }
    events.push({ frame: event('content_block_stop', { index }) });
    index += 1;
  }
  if (options.truncate) return events;
  events.push({
    frame: event('message_delta', {
      delta: { stop_reason: anthropicStopReason(plan, options.stopReason), stop_sequence: null },
      usage: { output_tokens: plan.outputTokens },
    }),
  });
  events.push({ frame: event('message_stop', {}) });
  return events;
};

/**
 * The non-streaming answer. Tool input must be an object here, so malformed argument text (which only a
 * stream can carry) is sent as the string the client would have assembled, wrapped to stay JSON.
 */
export const anthropicMessage = (plan: PlannedAnswer, body: any, messageId: string, stopReason?: string) => ({
  id: messageId,
  type: 'message',
  role: 'assistant',
  model: body.model,
  content: [
    ...(plan.tokens.length > 0 ? [{ type: 'text', text: plan.tokens.join('') }] : []),
    ...plan.toolCalls.map((call) => ({
      type: 'tool_use',
      id: call.id,
      name: call.name,
      input: parseOrWrap(call.fragments.join('')),
    })),
  ],
  stop_reason: anthropicStopReason(plan, stopReason),
  stop_sequence: null,
  usage: usage(plan.inputTokens, plan.outputTokens),
});

const parseOrWrap = (json: string): unknown => {
  try {
    return JSON.parse(json);
  } catch {
    return { malformed: json };
  }
};

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export const anthropicError = (status: number, message: string) => ({
  type: 'error',
  error: { type: errorTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
});
