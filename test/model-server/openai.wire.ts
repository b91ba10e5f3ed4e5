/**
 * OpenAI chat-completions wire format: `chat.completion` objects, and `chat.completion.chunk` SSE frames
 * (`data: {json}\n\n`, ending with `data: [DONE]\n\n`); tool calls stream as fragments keyed by `index`,
 * the first carrying `id`, `type` and `function.name`. With `stream_options.include_usage` every chunk has
 * `usage: null` and one last chunk with empty `choices` carries the usage.
 */

import type { PlannedAnswer } from './answer.ts';

export interface WireEvent {
  frame: string;
  /** Set when the frame carries answer text, so the server can log when each token left. */
  token?: string;
}

const base = (id: string, model: string) => ({
  id,
  object: 'chat.completion.chunk',
  created: Math.floor(Date.now() / 1000),
  model,
  system_fingerprint: 'fp_scripted',
});

const frame = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;

export const openaiFinishReason = (plan: PlannedAnswer, override?: string): string => override ?? (plan.toolCalls.length > 0 ? 'tool_calls' : 'stop');

export const openaiStream = (
  plan: PlannedAnswer,
  body: any,
  options: { stopReason?: string; hang?: boolean; truncate?: boolean; malformedFrame?: boolean },
): WireEvent[] => {
  const id = `chatcmpl-${Date.now().toString(36)}`;
  const model: string = body.model;
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (delta: unknown, finishReason: string | null = null) => ({
    frame: frame({
      ...base(id, model),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    }),
  });
  const events: WireEvent[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const token of plan.tokens) events.push({ ...chunk({ content: token }), token });
  if (options.hang) return events;
  if (options.malformedFrame) return [...events, { frame: 'data: {"id":"chatcmpl-broken","choices":[{"delta":\n\n' }];
  plan.toolCalls.forEach((call, index) => {
    events.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    );
    for (const arguments_ of call.fragments) {
      events.push(chunk({ tool_calls: [{ index, function: { arguments: arguments_ } }] }));
    }
  });
  if (options.truncate) return events;
  events.push(chunk({}, openaiFinishReason(plan, options.stopReason)));
  if (includeUsage) {
    events.push({
      frame: frame({
        ...base(id, model),
        choices: [],
        usage: {
          prompt_tokens: plan.inputTokens,
          completion_tokens: plan.outputTokens,
          total_tokens: plan.inputTokens + plan.outputTokens,
        },
      }),
    });
  }
  events.push({ frame: 'data: [DONE]\n\n' });
  return events;
};

export const openaiCompletion = (plan: PlannedAnswer, body: any, stopReason?: string) => ({
  id: `chatcmpl-${Date.now().toString(36)}`,
  object: 'chat.completion',
  created: Math.floor(Date.now() / 1000),
  model: body.model,
  system_fingerprint: 'fp_scripted',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: plan.tokens.length > 0 ? plan.tokens.join('') : null,
        refusal: null,
        annotations: [],
        ...(plan.toolCalls.length > 0
          ? {
              tool_calls: plan.toolCalls.map((call) => ({
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: call.fragments.join('') },
              })),
            }
          : {}),
      },
      logprobs: null,
      finish_reason: openaiFinishReason(plan, stopReason),
    },
  ],
  usage: {
    prompt_tokens: plan.inputTokens,
    completion_tokens: plan.outputTokens,
    total_tokens: plan.inputTokens + plan.outputTokens,
  },
});

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'rate_limit_exceeded',
};

export const openaiError = (status: number, message: string) => ({
  error: {
    message,
    type: errorTypes[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
    param: null,
    code: status === 429 ? 'rate_limit_exceeded' : null,
  },
});
