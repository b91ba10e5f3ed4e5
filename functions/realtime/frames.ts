/**
 * The WebSocket protocol's frames (docs/realtime.md): what clients send (`{ "action": ... }`), what the
 * server pushes, and the size rules. No I/O here.
 */
import * as z from 'zod';
import type { ChannelEvent } from '#shared/channel-events.ts';
import { fetchPathOf, publicNameOf, type ChannelKinds } from '#shared/channels.ts';
import { BadRequestError, fieldErrorsOf, PayloadTooLargeError, toProblem, ValidationError, type FieldError } from '#shared/errors.ts';
import { MAX_JSON_DEPTH, tooDeep } from '#shared/json.ts';
import { unsafeStrings } from '#shared/stored-json.ts';

/**
 * Client frames above this are refused with an error frame (the connection stays open). The gateway itself
 * closes the connection on messages over 128 KB (AWS: 1009), so the useful limit has to be lower.
 */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/**
 * An event frame above this is sent as a pointer (`truncated: true` + `fetch`) instead. 32 KB is API
 * Gateway's WebSocket frame size; PostToConnection refuses anything over 128 KB outright.
 */
export const MAX_EVENT_FRAME_BYTES = 32 * 1024;

export interface ErrorFrame {
  type: 'error';
  status: number;
  title: string;
  detail: string;
  errors?: FieldError[];
  id?: string;
}

const errorFrame = (status: number, title: string, detail: string): ErrorFrame => ({ type: 'error', status, title, detail });

const frame = z.object({ action: z.string().min(1) });

/** The reply to one frame: pong for ping, an error frame for anything this route does not understand. */
export const replyTo = (body: string | undefined): { type: 'pong' } | ErrorFrame => {
  if (Buffer.byteLength(body ?? '', 'utf8') > MAX_CLIENT_FRAME_BYTES) {
    return errorFrame(413, 'Frame too large', `Frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return errorFrame(400, 'Malformed frame', 'Frames are JSON objects like {"action":"ping"}');
  }
  const result = frame.safeParse(parsed);
  if (!result.success) return errorFrame(400, 'Missing action', 'Frames need a string "action", e.g. {"action":"ping"}');
  if (result.data.action === 'ping') return { type: 'pong' };
  return errorFrame(
    400,
    'Unknown action',
    `Unknown action "${result.data.action.slice(0, 64)}"; use subscribe, unsubscribe, publish, presence or ping`,
  );
};

// ---- client frames of the routed actions ----

/**
 * Channel names as clients write them: `<kind>:<id>`, or `<kind>` alone for a tenant-wide channel. Which
 * kinds exist, and the shape of their ids, is the registry's to say (channel-access.ts).
 */
export const channelName = z
  .string()
  .max(200)
  .regex(/^[a-z][a-z0-9-]{0,31}(:[A-Za-z0-9_-]{1,100})?$/, 'Expected <kind>:<id> (workspace:<id>, execution:<id>) or a tenant channel such as n8n');

/** Optional client-chosen id, echoed on the reply (ack or error) to that frame. */
const frameId = z.string().min(1).max(64).optional();

export const subscribeFrame = z.object({
  action: z.literal('subscribe'),
  id: frameId,
  channel: channelName,
  afterSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export const unsubscribeFrame = z.object({ action: z.literal('unsubscribe'), id: frameId, channel: channelName });
export const publishFrame = z.object({
  action: z.literal('publish'),
  id: frameId,
  channel: channelName,
  data: z.json().refine((v) => v !== null, 'Expected a JSON value'),
});
export const presenceFrame = z.object({ action: z.literal('presence'), id: frameId, channel: channelName });

/** The frame parsed and validated, or a 413/400 error naming each bad field (paths like `channel`). */
export const parseFrame = <S extends z.ZodType>(body: string | undefined, schema: S): z.output<S> => {
  if (Buffer.byteLength(body ?? '', 'utf8') > MAX_CLIENT_FRAME_BYTES) {
    throw new PayloadTooLargeError(`Frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes`);
  }
  if (tooDeep(body ?? '')) {
    throw new ValidationError(`Frames may nest at most ${MAX_JSON_DEPTH} levels deep`, [
      { path: '(frame)', message: `Arrays and objects may nest at most ${MAX_JSON_DEPTH} levels deep` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new BadRequestError('Frames are JSON objects like {"action":"ping"}');
  }
  // Published data is stored as jsonb, which refuses NUL and lone surrogates: refused here, naming the field.
  const unsafe = unsafeStrings(parsed);
  const result = unsafe.length > 0 ? undefined : schema.safeParse(parsed);
  if (result?.success) return result.data;
  const errors = result ? fieldErrorsOf(result.error, [], '(frame)') : unsafe.map((e) => ({ ...e, path: e.path === '(root)' ? '(frame)' : e.path }));
  throw new ValidationError(`${errors.length} invalid field(s): ${errors.map((e) => e.path).join(', ')}`, errors);
};

/** The client's `id` of a frame, when it sent a usable one, to echo on the reply. */
export const frameIdOf = (body: string | undefined): string | undefined => {
  // Bodies are bounded by the gateway (128 KB), so even an oversize frame is cheap to look into.
  if (!body) return undefined;
  try {
    const id = (JSON.parse(body) as { id?: unknown })?.id;
    return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
};

/** The channel a frame names, when it names a well-formed one (for the audit trail, even of a refused frame). */
export const frameChannelOf = (body: string | undefined): string | undefined => {
  if (!body) return undefined;
  try {
    const channel = (JSON.parse(body) as { channel?: unknown })?.channel;
    return channelName.safeParse(channel).success ? (channel as string) : undefined;
  } catch {
    return undefined;
  }
};

/** Any error as an error frame: domain errors keep their status and detail, anything else is a generic 500. */
export const errorFrameFrom = (error: unknown, id?: string): ErrorFrame => {
  const { problem } = toProblem(error);
  return {
    type: 'error',
    status: problem.status,
    title: problem.title,
    detail: problem.detail,
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...(id !== undefined ? { id } : {}),
  };
};

// ---- server frames ----

export interface EventFrame {
  type: 'event';
  channel: string;
  /** Absent on ephemeral events (presence), which are neither stored nor replayed. */
  seq?: number;
  event: { kind: string; at: string; data?: unknown };
  truncated?: true;
  fetch?: string;
}

/**
 * The serialized frame of a stored event; over MAX_EVENT_FRAME_BYTES, a pointer to it instead (with the REST
 * path to read it, when its channel kind has one). The kinds name the channel as clients know it.
 */
export const eventFrameText = (event: ChannelEvent, kinds: ChannelKinds): string => {
  const full: EventFrame = {
    type: 'event',
    channel: publicNameOf(kinds, event.channel),
    seq: event.seq,
    event: { kind: event.kind, at: event.at, data: event.data },
  };
  const text = JSON.stringify(full);
  if (Buffer.byteLength(text, 'utf8') <= MAX_EVENT_FRAME_BYTES) return text;
  const fetch = fetchPathOf(kinds, event.channel, event.seq);
  const pointer: EventFrame = { ...full, event: { kind: event.kind, at: event.at }, truncated: true, ...(fetch ? { fetch } : {}) };
  return JSON.stringify(pointer);
};

/** Presence is kept for resource channels only (workspaces), whose public and log names are the same. */
export const presenceEventFrame = (
  channel: string,
  kind: 'presence.join' | 'presence.leave',
  userId: string,
  connectionId: string,
  at = new Date(),
): EventFrame => ({
  type: 'event',
  channel,
  event: { kind, at: at.toISOString(), data: { userId, connectionId } },
});
