/**
 * The realtime WebSocket protocol through the local runtime with real `ws` clients: publishing between
 * members, access control, presence, resume with afterSeq, pruning of vanished connections, oversize
 * events as pointers, bad frames, execution channels fed by the shared fan-out, and a bounded load check.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelEventStore } from '#shared/channel-events.ts';
import { executionChannelKind } from '#functions/agents/executions/execution-channel.ts';
import { n8nChannel } from '#functions/n8n-monitor/n8n-monitor.public.ts';
import { createEventFanout } from '#functions/realtime/realtime.public.ts';
import { channelKinds } from '#shared/channels.ts';
import { vanishConnection } from '../../local/websocket-gateway.ts';
import { startTestRuntime, type TestRuntime, type WsClient } from '../support/runtime.ts';
import { addMember, collectEvents, createWorkspace, isEvent, newUser, request, type TestUser } from './helpers.ts';

let rt: TestRuntime;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let otherTenant: TestUser;
const open: WsClient[] = [];

beforeAll(async () => {
  rt = await startTestRuntime();
  [owner, editor, viewer, outsider, otherTenant] = await Promise.all([
    newUser(rt, { prefix: 'owner' }),
    newUser(rt, { prefix: 'editor' }),
    newUser(rt, { prefix: 'viewer' }),
    newUser(rt, { prefix: 'outsider' }),
    newUser(rt, { roles: ['admin'], tenantId: 'ten_other0000' }),
  ]);
});
afterAll(async () => {
  await Promise.all(open.map((ws) => ws.close()));
  await rt?.stop();
});

const connect = async (user: TestUser): Promise<WsClient> => {
  const ws = await rt.connect(user.jwt);
  expect(ws.opened).toBe(true);
  open.push(ws);
  return ws;
};

/** A workspace with owner, editor (editor) and viewer (viewer). */
const workspace = async (): Promise<{ id: string; channel: string }> => {
  const id = await createWorkspace(rt, owner);
  await addMember(rt, owner, id, editor, 'editor');
  await addMember(rt, owner, id, viewer, 'viewer');
  return { id, channel: `workspace:${id}` };
};

const history = async (id: string) => (await rt.fetchJson(`/v1/workspaces/${id}/messages?limit=100`, { headers: owner.headers })).body.items as any[];

/** This connection's id, from its own presence.join on a workspace it subscribed to. */
const ownConnectionId = async (ws: WsClient, channel: string, userId: string): Promise<string> =>
  (await ws.nextMessage((m) => isEvent(channel, 'presence.join')(m) && m.event.data.userId === userId)).event.data.connectionId;

describe('publish and subscribe', () => {
  it('lets two members exchange messages; each gets the stored seq, the sender its echo', async () => {
    const { id, channel } = await workspace();
    const a = await connect(owner);
    const b = await connect(editor);
    expect(await request(a, { action: 'subscribe', channel })).toMatchObject({ type: 'subscribed', channel, headSeq: 0, complete: true });
    expect(await request(b, { action: 'subscribe', channel })).toMatchObject({ type: 'subscribed', channel });

    expect(await request(a, { action: 'publish', channel, data: { text: 'hi B' } })).toMatchObject({ type: 'published', channel, seq: 1 });
    expect(await request(b, { action: 'publish', channel, data: 'hi A' })).toMatchObject({ type: 'published', channel, seq: 2 });

    for (const ws of [a, b]) {
      const [first, second] = await collectEvents(ws, channel, 2);
      expect(first).toEqual({
        type: 'event',
        channel,
        seq: 1,
        event: { kind: 'message', at: expect.any(String), data: { userId: owner.userId, body: { text: 'hi B' } } },
      });
      expect(second).toMatchObject({ seq: 2, event: { data: { userId: editor.userId, body: 'hi A' } } });
    }
    expect((await history(id)).map((m) => m.seq)).toEqual([2, 1]);
  });

  it('refuses non-members, viewers publishing and other tenants with error frames; nothing stored or received', async () => {
    const { id, channel } = await workspace();
    const member = await connect(owner);
    await request(member, { action: 'subscribe', channel });
    for (const user of [outsider, otherTenant]) {
      const ws = await connect(user);
      expect(await request(ws, { action: 'subscribe', channel })).toMatchObject({ type: 'error', status: 404 });
      expect(await request(ws, { action: 'publish', channel, data: 'intrude' })).toMatchObject({ type: 'error', status: 404 });
      expect(await request(ws, { action: 'presence', channel })).toMatchObject({ type: 'error', status: 404 });
    }
    const reader = await connect(viewer);
    expect(await request(reader, { action: 'subscribe', channel })).toMatchObject({ type: 'subscribed' });
    expect(await request(reader, { action: 'publish', channel, data: 'read-only' })).toMatchObject({ type: 'error', status: 403 });
    expect(await history(id)).toEqual([]);

    // The refused subscribers get nothing of what members publish.
    await request(member, { action: 'publish', channel, data: 'members only' });
    expect(await reader.nextMessage(isEvent(channel, 'message'))).toMatchObject({ seq: 1 });
    const refused = open.slice(-3, -1);
    for (const ws of refused) expect(ws.messages.some(isEvent(channel, 'message'))).toBe(false);
  });

  it('stops pushing to a member once removed', async () => {
    const { id, channel } = await workspace();
    const gone = await connect(editor);
    await request(gone, { action: 'subscribe', channel });
    expect((await rt.fetchJson(`/v1/workspaces/${id}/members/${editor.userId}`, { method: 'DELETE', headers: owner.headers })).status).toBe(204);
    const pub = await connect(owner);
    await request(pub, { action: 'publish', channel, data: 'after removal' });
    await request(gone, { action: 'ping' }).catch(() => undefined);
    // The owner's own subscription (to observe delivery) proves the fan-out ran before we look.
    await request(pub, { action: 'subscribe', channel, afterSeq: 0 });
    expect(await pub.nextMessage(isEvent(channel, 'message'))).toMatchObject({ seq: 1 });
    expect(gone.messages.some(isEvent(channel, 'message'))).toBe(false);
  });
});

describe('presence', () => {
  it('lists who is connected and pushes joins and leaves', async () => {
    const { channel } = await workspace();
    const a = await connect(owner);
    await request(a, { action: 'subscribe', channel });
    const b = await connect(editor);
    await request(b, { action: 'subscribe', channel });
    const bId = (await a.nextMessage((m) => isEvent(channel, 'presence.join')(m) && m.event.data.userId === editor.userId)).event.data.connectionId;
    expect(bId).toEqual(expect.any(String));

    const now = await request(a, { action: 'presence', channel });
    expect(now).toMatchObject({ type: 'presence', channel });
    expect(now.members).toEqual(
      expect.arrayContaining([
        { userId: owner.userId, connectionIds: [expect.any(String)] },
        { userId: editor.userId, connectionIds: [bId] },
      ]),
    );
    expect(now.members).toHaveLength(2);

    expect(await request(b, { action: 'unsubscribe', channel })).toMatchObject({ type: 'unsubscribed', channel });
    expect(await a.nextMessage(isEvent(channel, 'presence.leave'))).toMatchObject({ event: { data: { userId: editor.userId, connectionId: bId } } });

    const c = await connect(viewer);
    await request(c, { action: 'subscribe', channel });
    await a.nextMessage((m) => isEvent(channel, 'presence.join')(m) && m.event.data.userId === viewer.userId);
    await c.close();
    expect(await a.nextMessage(isEvent(channel, 'presence.leave'))).toMatchObject({ event: { data: { userId: viewer.userId } } });
    expect((await request(a, { action: 'presence', channel })).members).toEqual([{ userId: owner.userId, connectionIds: [expect.any(String)] }]);
  });
});

describe('resume with afterSeq', () => {
  it('delivers exactly the missed messages, in order, then live ones', async () => {
    const { channel } = await workspace();
    const pub = await connect(owner);
    let reader = await connect(editor);
    await request(reader, { action: 'subscribe', channel });
    for (let i = 1; i <= 2; i++) await request(pub, { action: 'publish', channel, data: i });
    const seen = await collectEvents(reader, channel, 2);
    const last = seen.at(-1).seq;
    await reader.close();

    for (let i = 3; i <= 6; i++) await request(pub, { action: 'publish', channel, data: i });
    reader = await connect(editor);
    const ack = await request(reader, { action: 'subscribe', channel, afterSeq: last });
    expect(ack).toMatchObject({ type: 'subscribed', headSeq: 6, replayed: 4, complete: true });
    // Replayed frames precede the ack on the same connection.
    expect(reader.messages.filter(isEvent(channel, 'message')).map((m: any) => [m.seq, m.event.data.body])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
    reader.messages.length = 0;
    await request(pub, { action: 'publish', channel, data: 7 });
    expect(await reader.nextMessage(isEvent(channel, 'message'))).toMatchObject({ seq: 7 });
    expect(reader.messages.filter(isEvent(channel, 'message'))).toEqual([]);
  });

  it('loses and repeats nothing when messages are published while resuming (client dedupes by seq)', async () => {
    const { channel } = await workspace();
    const pub = await connect(owner);
    for (let i = 1; i <= 20; i++) await request(pub, { action: 'publish', channel, data: i });
    const reader = await connect(editor);
    // The documented client: deliver seq last+1, drop seq <= last, hold later ones until the gap fills.
    let last = 5;
    const delivered: number[] = [];
    const held = new Map<number, unknown>();
    reader.socket.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type !== 'event' || m.seq === undefined || m.seq <= last) return;
      held.set(m.seq, m);
      while (held.has(last + 1)) {
        held.delete(last + 1);
        delivered.push(++last);
      }
    });
    const publishing = (async () => {
      for (let i = 21; i <= 40; i++) await request(pub, { action: 'publish', channel, data: i });
    })();
    await request(reader, { action: 'subscribe', channel, afterSeq: 5 });
    await publishing;
    await request(pub, { action: 'publish', channel, data: 41 });
    for (let i = 0; i < 200 && last < 41; i++) await new Promise((r) => setTimeout(r, 25));
    expect(delivered).toEqual(Array.from({ length: 36 }, (_, i) => i + 6));
  });
});

describe('connections that vanish', () => {
  it('prunes a connection killed without $disconnect on the next fan-out (GoneException)', async () => {
    const { channel } = await workspace();
    const a = await connect(owner);
    await request(a, { action: 'subscribe', channel });
    const ghost = await connect(viewer);
    await request(ghost, { action: 'subscribe', channel });
    const ghostId = await ownConnectionId(ghost, channel, viewer.userId);
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const items = async (connectionId: string) =>
      (
        await db.send(
          new QueryCommand({
            TableName: rt.env.CONNECTIONS_TABLE,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `conn#${connectionId}` },
          }),
        )
      ).Items ?? [];

    expect(vanishConnection(ghostId)).toBe(true);
    await ghost.closed;
    expect((await items(ghostId)).map((i) => i.sk).sort()).toEqual(['meta', `sub#${channel}`]);

    await request(a, { action: 'publish', channel, data: 'anyone there?' });
    expect(await a.nextMessage(isEvent(channel, 'message'))).toMatchObject({ seq: 1 });
    expect(await a.nextMessage(isEvent(channel, 'presence.leave'))).toMatchObject({
      event: { data: { userId: viewer.userId, connectionId: ghostId } },
    });
    expect(await items(ghostId)).toEqual([]);
    expect((await request(a, { action: 'presence', channel })).members.map((m: any) => m.userId)).toEqual([owner.userId]);
  });
});

describe('limits', () => {
  it('sends an event over the frame limit as a pointer to its REST route', async () => {
    const { channel } = await workspace();
    const a = await connect(owner);
    await request(a, { action: 'subscribe', channel });
    const big = 'x'.repeat(40 * 1024);
    expect(await request(a, { action: 'publish', channel, data: { big } })).toMatchObject({ type: 'published', seq: 1 });
    const frame = await a.nextMessage(isEvent(channel, 'message'));
    expect(frame).toEqual({
      type: 'event',
      channel,
      seq: 1,
      event: { kind: 'message', at: expect.any(String) },
      truncated: true,
      fetch: expect.any(String),
    });
    const fetched = await rt.fetchJson(frame.fetch, { headers: owner.headers });
    expect(fetched.body.items).toEqual([expect.objectContaining({ seq: 1, body: { big } })]);
  });

  it('answers bad frames with error frames, keeps the connection usable and stores nothing', async () => {
    const { id, channel } = await workspace();
    const ws = await connect(owner);
    ws.send('not json');
    expect(await ws.nextMessage((m) => m.type === 'error')).toMatchObject({ status: 400, title: 'Malformed frame' });
    ws.send({ action: 'dance' });
    expect(await ws.nextMessage((m) => m.type === 'error')).toMatchObject({ status: 400, title: 'Unknown action' });
    expect(await request(ws, { action: 'subscribe' })).toMatchObject({
      type: 'error',
      status: 400,
      errors: [{ path: 'channel', message: expect.any(String) }],
    });
    expect(await request(ws, { action: 'publish', channel })).toMatchObject({ type: 'error', status: 400, errors: [{ path: 'data' }] });
    expect(await request(ws, { action: 'subscribe', channel: 'workspace:../../etc' })).toMatchObject({
      type: 'error',
      status: 400,
      errors: [{ path: 'channel' }],
    });
    expect(await request(ws, { action: 'subscribe', channel, afterSeq: -1 })).toMatchObject({
      type: 'error',
      status: 400,
      errors: [{ path: 'afterSeq' }],
    });
    expect(await request(ws, { action: 'publish', channel: 'n8n', data: 'x' })).toMatchObject({ type: 'error', status: 403 });
    expect(await request(ws, { action: 'publish', channel, data: 'y'.repeat(100 * 1024) })).toMatchObject({ type: 'error', status: 413 });
    // PostgreSQL refuses NUL and lone surrogates in jsonb: a 400 naming the field, not a 500.
    expect(await request(ws, { action: 'publish', channel, data: 'x\u0000' })).toMatchObject({
      type: 'error',
      status: 400,
      errors: [{ path: 'data' }],
    });
    expect(await request(ws, { action: 'publish', channel, data: { text: '\udc00' } })).toMatchObject({
      type: 'error',
      status: 400,
      errors: [{ path: 'data.text' }],
    });
    ws.send({ action: 'ping' });
    expect(await ws.nextMessage((m) => m.type === 'pong')).toEqual({ type: 'pong' });
    expect(ws.socket.readyState).toBe(ws.socket.OPEN);
    expect(await history(id)).toEqual([]);
  });
});

describe('execution and n8n channels', () => {
  it('streams execution events appended through the shared fan-out to subscribers of the tenant only', async () => {
    const db = new pg.Client({ connectionString: rt.databaseUrl });
    await db.connect();
    const executionId = `exe_rt${Date.now()}`;
    try {
      await db.query(`INSERT INTO agents (id, tenant_id, name, model) VALUES ($1, 'default', 'a', '{"provider":"openai","name":"m"}')`, [
        `agt_rt${Date.now()}`,
      ]);
      await db.query(`INSERT INTO executions (id, tenant_id, agent_id, agent_version, input) SELECT $1, 'default', id, 1, '{}' FROM agents LIMIT 1`, [
        executionId,
      ]);
      const channel = `execution:${executionId}`;
      const watcher = await connect(viewer);
      expect(await request(watcher, { action: 'subscribe', channel })).toMatchObject({ type: 'subscribed', headSeq: 0 });
      const stranger = await connect(otherTenant);
      expect(await request(stranger, { action: 'subscribe', channel })).toMatchObject({ type: 'error', status: 404 });
      expect(await request(stranger, { action: 'subscribe', channel: 'execution:exe_missing' })).toMatchObject({ type: 'error', status: 404 });

      const store = new ChannelEventStore(db, createEventFanout({ channels: channelKinds([executionChannelKind()]) }));
      await store.append('default', channel, [
        { kind: 'execution.started' },
        { kind: 'execution.token', data: { text: 'Hel' } },
        { kind: 'execution.token', data: { text: 'lo' } },
      ]);
      await store.append('default', channel, [{ kind: 'execution.succeeded', data: { output: 'Hello' } }]);
      const events = [];
      for (let i = 0; i < 4; i++) events.push(await watcher.nextMessage((m) => m.type === 'event' && m.channel === channel));
      expect(events.map((e) => [e.seq, e.event.kind])).toEqual([
        [1, 'execution.started'],
        [2, 'execution.token'],
        [3, 'execution.token'],
        [4, 'execution.succeeded'],
      ]);
      expect(stranger.messages.some((m: any) => m.type === 'event')).toBe(false);
    } finally {
      await db.end();
    }
  });

  it('scopes the n8n channel to the tenant', async () => {
    const mine = await connect(viewer);
    const theirs = await connect(otherTenant);
    expect(await request(mine, { action: 'subscribe', channel: 'n8n' })).toMatchObject({ type: 'subscribed', channel: 'n8n' });
    expect(await request(theirs, { action: 'subscribe', channel: 'n8n' })).toMatchObject({ type: 'subscribed', channel: 'n8n' });
    const db = new pg.Client({ connectionString: rt.databaseUrl });
    await db.connect();
    try {
      await new ChannelEventStore(db, createEventFanout({ channels: channelKinds([n8nChannel()]) })).append('default', 'n8n:default', [
        { kind: 'n8n.execution', data: { id: 1 } },
      ]);
    } finally {
      await db.end();
    }
    expect(await mine.nextMessage(isEvent('n8n'))).toMatchObject({ seq: 1, event: { kind: 'n8n.execution' } });
    await request(theirs, { action: 'ping' }).catch(() => undefined);
    expect(theirs.messages.some(isEvent('n8n'))).toBe(false);
  });
});

describe('load (loopback, bounded)', () => {
  it('delivers one publish to each of 1,000 concurrent subscribers; none lost', async () => {
    const { channel } = await workspace();
    const clients: WsClient[] = [];
    for (let batch = 0; batch < 10; batch++) {
      clients.push(...(await Promise.all(Array.from({ length: 100 }, () => rt.connect(viewer.jwt)))));
    }
    open.push(...clients);
    expect(clients.every((c) => c.opened)).toBe(true);
    // A thousand subscribes at once queue up behind each other on a 2-core machine running other test files:
    // this test is about none being lost, so it waits as long as that takes (timings live in bench/).
    const acks = await Promise.all(clients.map((c) => request(c, { action: 'subscribe', channel }, 60_000)));
    expect(acks.filter((a) => a.type !== 'subscribed').slice(0, 3)).toEqual([]);
    const pub = await connect(owner);
    const { seq } = await request(pub, { action: 'publish', channel, data: 'to everyone' }, 60_000);
    const received = await Promise.all(clients.map((c) => c.nextMessage(isEvent(channel, 'message'), 60_000)));
    expect(received.every((m) => m.seq === seq && m.event.data.body === 'to everyone')).toBe(true);
    await Promise.all(clients.map((c) => c.close()));
  }, 240_000);
});
