/** Shared steps of the realtime tests: principals, workspaces, and request/reply over a WebSocket. */
import { randomBytes } from 'node:crypto';
import type { TestRuntime, WsClient } from '../support/runtime.ts';

export interface TestUser {
  userId: string;
  jwt: string;
  headers: Record<string, string>;
}

export const newUser = async (rt: TestRuntime, options: { roles?: string[]; tenantId?: string; prefix?: string } = {}): Promise<TestUser> => {
  const userId = `${options.prefix ?? 'user'}-${randomBytes(4).toString('hex')}`;
  const jwt = await rt.mintJwt({ sub: userId, roles: options.roles ?? ['developer'], tenantId: options.tenantId ?? 'default' });
  return { userId, jwt, headers: { authorization: `Bearer ${jwt}` } };
};

export const createWorkspace = async (rt: TestRuntime, owner: TestUser, name = 'Room'): Promise<string> => {
  const res = await rt.fetchJson('/v1/workspaces', { method: 'POST', headers: owner.headers, json: { name } });
  if (res.status !== 201) throw new Error(`create workspace: ${res.status} ${res.text}`);
  return res.body.workspaceId as string;
};

export const addMember = async (rt: TestRuntime, owner: TestUser, workspaceId: string, member: TestUser, role = 'editor'): Promise<void> => {
  const res = await rt.fetchJson(`/v1/workspaces/${workspaceId}/members`, {
    method: 'POST',
    headers: owner.headers,
    json: { userId: member.userId, role },
  });
  if (res.status !== 201) throw new Error(`add member: ${res.status} ${res.text}`);
};

let counter = 0;

/** Sends a frame with a fresh `id` and resolves with the reply (ack or error frame) carrying that id. */
/** Sends a frame with a fresh id and resolves with the reply to it (ack or error frame). */
export const request = async <T = any>(ws: WsClient, frame: Record<string, unknown>, timeoutMs?: number): Promise<T> => {
  const id = `r${++counter}`;
  ws.send({ ...frame, id });
  return ws.nextMessage<T>((m) => m?.id === id, timeoutMs);
};

export const isEvent = (channel: string, kind?: string) => (m: any) =>
  m?.type === 'event' && m.channel === channel && (kind === undefined || m.event?.kind === kind);

/** Resolves once `ws` has received `n` events of `channel` (of `kind`), returning them in arrival order. */
export const collectEvents = async (ws: WsClient, channel: string, n: number, kind = 'message'): Promise<any[]> => {
  const out: any[] = [];
  for (let i = 0; i < n; i++) out.push(await ws.nextMessage(isEvent(channel, kind)));
  return out;
};
