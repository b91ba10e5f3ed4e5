/** Turns a scripted answer into provider-neutral pieces the wire formats render. */

import type { RecordedRequest, ScriptedAnswer } from './script.types.ts';

export interface PlannedToolCall {
  id: string;
  name: string;
  /** The argument JSON text, split into the fragments the stream sends. */
  fragments: string[];
}

export interface PlannedAnswer {
  tokens: string[];
  toolCalls: PlannedToolCall[];
  inputTokens: number;
  outputTokens: number;
}

let sequence = 0;
export const nextId = (prefix: string): string => `${prefix}${(++sequence).toString(36).padStart(8, '0')}`;

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** Splits JSON text into three fragments, as real streams deliver arguments in pieces. */
const fragment = (json: string): string[] => {
  if (json.length < 6) return [json];
  const a = Math.floor(json.length / 3);
  const b = Math.floor((2 * json.length) / 3);
  return [json.slice(0, a), json.slice(a, b), json.slice(b)];
};

export const planAnswer = (answer: ScriptedAnswer, request: RecordedRequest, idPrefix: string): PlannedAnswer => {
  const text = answer.text ?? '';
  const tokens = answer.tokens ?? text.match(/\s*\S+|\s+$/g) ?? [];
  let calls = answer.toolCalls ?? [];
  if (answer.malformedToolArguments && calls.length === 0) {
    const offered = request.body?.tools?.[0];
    const name: string = offered?.function?.name ?? offered?.name ?? 'unknown_tool';
    calls = [{ name, arguments: { value: 1 } }];
  }
  const toolCalls = calls.map((call) => {
    let json = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
    // Cut inside the value, so the text is unmistakably not JSON.
    if (answer.malformedToolArguments) json = json.slice(0, Math.max(1, json.length - 2));
    return { id: call.id ?? nextId(idPrefix), name: call.name, fragments: fragment(json) };
  });
  const answered = tokens.join('') + toolCalls.map((call) => call.fragments.join('')).join('');
  return {
    tokens,
    toolCalls,
    inputTokens: answer.usage?.inputTokens ?? estimateTokens(JSON.stringify(request.body?.messages ?? [])),
    outputTokens: answer.usage?.outputTokens ?? estimateTokens(answered),
  };
};
