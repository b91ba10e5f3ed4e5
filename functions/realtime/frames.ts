/** Client frames (`{ "action": ... }`) and the server's answers; no I/O here. */
import * as z from 'zod';

export interface ErrorFrame {
  type: 'error';
  status: number;
  title: string;
  detail: string;
}

const errorFrame = (status: number, title: string, detail: string): ErrorFrame => ({ type: 'error', status, title, detail });

const frame = z.object({ action: z.string().min(1) });

/** The reply to one frame: pong for ping, an error frame for anything this route does not understand. */
export const replyTo = (body: string | undefined): { type: 'pong' } | ErrorFrame => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return errorFrame(400, 'Malformed frame', 'Frames are JSON objects like {"action":"ping"}');
  }
  const result = frame.safeParse(parsed);
  if (!result.success) return errorFrame(400, 'Missing action', 'Frames need a string "action", e.g. {"action":"ping"}');
  if (result.data.action === 'ping') return { type: 'pong' };
  return errorFrame(400, 'Unknown action', `Unknown action "${result.data.action.slice(0, 64)}"`);
};
