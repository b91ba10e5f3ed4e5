/**
 * WebSocket fuzzing, driven by the frame schemas (functions/realtime/frames.ts, as JSON Schema): for each
 * action, frames that are valid but for one hostile change, plus frames that are not what the protocol
 * speaks at all. Property: every frame gets one reply, an ack or an error frame with a 4xx status, a title
 * and a detail; never a 5xx; and the connection stays usable.
 */
import fc from 'fast-check';
import * as z from 'zod';
import { presenceFrame, publishFrame, subscribeFrame, unsubscribeFrame } from '#functions/realtime/frames.ts';
import { deepJsonText, hostileString, hostileValue, prototypeKeys } from './hostile.ts';
import { type JsonSchema, validValue } from './schema-arbitrary.ts';

export interface FrameCase {
  mutation: string;
  /** Sent as a text frame, or as a binary one. */
  text?: string;
  binary?: Buffer;
}

const schemas: Record<string, z.ZodType> = {
  subscribe: subscribeFrame,
  unsubscribe: unsubscribeFrame,
  publish: publishFrame,
  presence: presenceFrame,
};

export const frameActions = [...Object.keys(schemas), 'ping', 'unknown'] as const;

/** Frames of `action` with one hostile change each; `channels` are real names to aim at (own and foreign). */
/**
 * API Gateway (and the local gateway) closes a connection on a message over 128 KB (1009): that limit has its
 * own gateway test; here frames stay under it, so that one connection carries the whole run.
 */
const GATEWAY_FRAME_LIMIT = 120 * 1024;

export const framesOf = (action: (typeof frameActions)[number], channels: string[]): fc.Arbitrary<FrameCase> =>
  allFramesOf(action, channels).filter((c) => (c.binary ?? Buffer.from(c.text ?? '')).length <= GATEWAY_FRAME_LIMIT);

const allFramesOf = (action: (typeof frameActions)[number], channels: string[]): fc.Arbitrary<FrameCase> => {
  const schema = schemas[action];
  const json = schema ? (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : undefined;
  const valid: fc.Arbitrary<Record<string, unknown>> = json
    ? (validValue(json, { components: (json.$defs ?? {}) as Record<string, JsonSchema> }) as fc.Arbitrary<Record<string, unknown>>).chain((frame) =>
        'channel' in frame ? fc.constantFrom(...channels).map((channel) => ({ ...frame, channel })) : fc.constant(frame),
      )
    : fc.constant(action === 'ping' ? { action: 'ping' } : { action: 'dance' });
  const fields = schema ? Object.keys((schema as unknown as { shape: object }).shape) : ['action'];
  const text = (mutation: string, frame: unknown): FrameCase => ({ mutation, text: JSON.stringify(frame) ?? 'null' });
  return fc.oneof(
    valid.map((f) => text('none (valid frame)', f)),
    fc
      .tuple(valid, fc.constantFrom(...fields), hostileValue)
      .map(([f, field, v]) => text(`${field} = ${JSON.stringify(v)?.slice(0, 40)}`, { ...f, [field]: v })),
    fc.tuple(valid, fc.constantFrom(...fields)).map(([f, field]) => {
      const { [field]: _, ...rest } = f;
      return text(`without ${field}`, rest);
    }),
    fc.tuple(valid, fc.oneof(fc.constantFrom(...prototypeKeys), hostileString), hostileValue).map(([f, key, v]) => ({
      mutation: `extra field ${JSON.stringify(key).slice(0, 30)}`,
      // As text: an object literal with `__proto__` would set the prototype, not add a key.
      text: `{${JSON.stringify(key)}:${JSON.stringify(v) ?? 'null'},${JSON.stringify(f).slice(1)}`,
    })),
    fc
      .tuple(valid, fc.constantFrom('$connect', '$disconnect', '$default', 'PING', ' ping', 'ping\u0000', '__proto__', 'constructor', ''))
      .map(([f, a]) => text(`action ${JSON.stringify(a)}`, { ...f, action: a })),
    fc
      .tuple(
        valid,
        fc.oneof(
          fc.constantFrom('workspace:..', 'workspace:%2E%2E', 'execution:..', 'n8n:default', 'n8n:other', 'workspace:', ':', 'x'.repeat(300)),
          hostileString,
        ),
      )
      .map(([f, channel]) => text(`channel ${JSON.stringify(channel).slice(0, 40)}`, { ...f, channel })),
    fc.constantFrom<FrameCase>(
      { mutation: 'not JSON', text: 'not json' },
      { mutation: 'empty', text: '' },
      { mutation: 'a JSON array', text: '[1,2]' },
      { mutation: 'null', text: 'null' },
      { mutation: 'truncated', text: '{"action":"subscribe","chan' },
      { mutation: 'deep', text: `{"action":"${action}","data":${deepJsonText(20_000)}}` },
      { mutation: 'deep, inside the limit', text: `{"action":"${action}","data":${deepJsonText(60)}}` },
      { mutation: 'oversize', text: JSON.stringify({ action, data: 'y'.repeat(100 * 1024) }) },
      { mutation: 'binary', binary: Buffer.from([0, 1, 2, 255, 254]) },
      { mutation: 'binary JSON', binary: Buffer.from(JSON.stringify({ action })) },
    ),
  );
};
