/**
 * A WebSocket connection is authorized once, at `$connect`, and lives up to 2 hours: through the local runtime
 * with real `ws` clients, a connection whose API key is revoked is ended at once (401 error frame, then
 * closed, its items gone, no more pushes); one whose JWT expired gets no more pushes and is refused on its
 * next action (same frame, closed, subscriptions gone, nothing stored); live credentials keep working.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime, type WsClient } from '../support/runtime.ts';
import { addMember, collectEvents, createWorkspace, isEvent, newUser, request, type TestUser } from './helpers.ts';

const REFUSED = {
  type: 'error',
  status: 401,
  title: 'Unauthorized',
  detail: 'The credentials of this connection were revoked or expired; reconnect with a valid token',
};

let rt: TestRuntime;
let owner: TestUser;
const open: WsClient[] = [];

beforeAll(async () => {
  rt = await startTestRuntime();
  owner = await newUser(rt, { prefix: 'owner' });
});
afterAll(async () => {
  await Promise.all(open.map((ws) => ws.close()));
  await rt?.stop();
});

const connect = async (token: string): Promise<WsClient> => {
  const ws = await rt.connect(token);
  expect(ws.opened).toBe(true);
  open.push(ws);
  return ws;
};

const db = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));
/** The DynamoDB items (meta, subscriptions) of a connection. */
const itemsOf = async (connectionId: string) =>
  (
    await db().send(
      new QueryCommand({
        TableName: rt.env.CONNECTIONS_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `conn#${connectionId}` },
      }),
    )
  ).Items ?? [];

/** The connection items gsi1 lists for a user of a tenant (what revoking a key looks up). */
const connectionsOfUser = async (tenantId: string, userId: string) =>
  (
    await db().send(
      new QueryCommand({
        TableName: rt.env.CONNECTIONS_TABLE,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `user#${tenantId}#${userId}` },
      }),
    )
  ).Items ?? [];

/** Subscribes and returns this connection's id, from its own presence.join. */
const subscribeAs = async (ws: WsClient, channel: string, userId: string): Promise<string> => {
  expect(await request(ws, { action: 'subscribe', channel })).toMatchObject({ type: 'subscribed', channel });
  return (await ws.nextMessage((m) => isEvent(channel, 'presence.join')(m) && m.event.data.userId === userId)).event.data.connectionId;
};

describe('a connection opened with an API key', () => {
  it('is ended as soon as the key is revoked, without acting again: 401 frame, closed, its items gone, no more pushes', async () => {
    const id = await createWorkspace(rt, owner);
    const channel = `workspace:${id}`;
    const created = await rt.fetchJson('/v1/api-keys', {
      method: 'POST',
      headers: { 'x-api-key': rt.apiKey },
      json: { name: 'ws-bot', role: 'admin' },
    });
    expect(created.status).toBe(201);
    const { apiKey, keyId, tenantId } = created.body as { apiKey: string; keyId: string; tenantId: string };
    const userId = `apikey:${keyId}`;

    const watcher = await connect(owner.jwt);
    await subscribeAs(watcher, channel, owner.userId);
    const bot = await connect(apiKey);
    const botId = await subscribeAs(bot, channel, userId);
    const idle = await connect(apiKey);
    expect(await request(bot, { action: 'publish', channel, data: 'before' })).toMatchObject({ type: 'published', seq: 1 });
    expect(await request(idle, { action: 'ping' })).toMatchObject({ type: 'pong' });

    expect((await rt.fetchJson(`/v1/api-keys/${keyId}`, { method: 'DELETE', headers: { 'x-api-key': rt.apiKey } })).status).toBe(204);

    // Neither connection sends anything more: the revocation itself ends both.
    expect(await bot.nextMessage((m) => m?.type === 'error')).toEqual(REFUSED);
    await bot.closed;
    expect(await idle.nextMessage((m) => m?.type === 'error')).toEqual(REFUSED);
    await idle.closed;
    expect(await itemsOf(botId)).toEqual([]);
    expect(await connectionsOfUser(tenantId, userId)).toEqual([]);
    // The other subscribers see it leave, as on any disconnect.
    expect(await watcher.nextMessage((m) => isEvent(channel, 'presence.leave')(m) && m.event.data.connectionId === botId)).toBeTruthy();

    // A message published afterwards by another member reaches the members still there, not the bot.
    expect(await request(watcher, { action: 'publish', channel, data: 'after' })).toMatchObject({ type: 'published', seq: 2 });
    expect((await collectEvents(watcher, channel, 2)).map((e) => e.event.data.body)).toEqual(['before', 'after']);
    expect(bot.messages.filter((m: any) => isEvent(channel, 'message')(m) && m.event.data.body === 'after')).toEqual([]);
    expect(await request(watcher, { action: 'presence', channel })).toMatchObject({ members: [{ userId: owner.userId }] });
  });
});

describe('a connection opened with a JWT', () => {
  it('gets no pushes once the JWT has expired and is refused and closed on its next action; a live JWT keeps working', async () => {
    const id = await createWorkspace(rt, owner);
    const channel = `workspace:${id}`;
    const member = await newUser(rt, { prefix: 'shortlived' });
    await addMember(rt, owner, id, member, 'editor');
    const shortJwt = await rt.mintJwt({ sub: member.userId, roles: ['developer'], expiresIn: '2s' });

    const live = await connect(owner.jwt);
    await subscribeAs(live, channel, owner.userId);
    const short = await connect(shortJwt);
    const shortId = await subscribeAs(short, channel, member.userId);

    // Wait until the token's exp has passed (exp is whole seconds).
    const exp = decodeJwt(shortJwt).exp! * 1000;
    while (Date.now() <= exp + 100) await new Promise((r) => setTimeout(r, 200));

    expect(await request(live, { action: 'publish', channel, data: 'while expired' })).toMatchObject({ type: 'published', seq: 1 });
    const [pushed] = await collectEvents(live, channel, 1);
    expect(pushed).toMatchObject({ seq: 1 });
    expect(short.messages.filter(isEvent(channel, 'message'))).toEqual([]);

    expect(await request(short, { action: 'subscribe', channel })).toEqual({ ...REFUSED, id: expect.any(String) });
    await short.closed;
    expect(await itemsOf(shortId)).toEqual([]);
    expect(short.messages.filter(isEvent(channel, 'message'))).toEqual([]);

    expect(await request(live, { action: 'publish', channel, data: 'still here' })).toMatchObject({ type: 'published', seq: 2 });
    expect(await request(live, { action: 'presence', channel })).toMatchObject({ members: [{ userId: owner.userId }] });
  });
});
