/**
 * The realtime domain's WebSocket use cases and its fan-out, over in-memory ports (fakes.ts): who may
 * subscribe and publish, resuming with `afterSeq`, presence, pruning gone connections, and ending a
 * connection whose credentials lapsed. The real channel kinds (workspace, execution, n8n) decide access,
 * so these tests check the rules clients rely on, not stand-ins for them.
 */
import { describe, expect, it, vi } from 'vitest';
import { executionChannelKind } from '#functions/agents/executions/execution-channel.ts';
import { n8nChannel } from '#functions/n8n-monitor/n8n-monitor.public.ts';
import { ChannelFanout, PRESENCE_PUSH_MAX_SUBSCRIBERS } from '#functions/realtime/channel-fanout.ts';
import { connectionItem, subscriptionItem } from '#functions/realtime/connection.ts';
import { errorFrameFrom, MAX_EVENT_FRAME_BYTES, type ErrorFrame } from '#functions/realtime/frames.ts';
import {
  credentialsHold,
  disconnect,
  endConnection,
  endSessionsOf,
  MAX_REPLAY,
  presence,
  publish,
  STALE_CREDENTIALS_DETAIL,
  subscribe,
  unsubscribe,
  type Caller,
  type EndConnectionPorts,
  type RealtimePorts,
} from '#functions/realtime/realtime.service.ts';
import { workspaceChannelKind } from '#functions/realtime/workspace.access.ts';
import { channelKinds } from '#shared/channels.ts';
import type { Principal } from '#shared/principal.ts';
import { MemoryConnections, MemoryEventLog, MemoryExecutions, MemoryWorkspaces, RecordingPoster, type ReceivedFrame } from './fakes.ts';

const TENANT = 'tnt_a';
const OTHER_TENANT = 'tnt_b';
const ROOM = 'wsp_room0001';
const ROOM_CHANNEL = `workspace:${ROOM}`;
const LOBBY = 'wsp_lobby0001';
const LOBBY_CHANNEL = `workspace:${LOBBY}`;

const user = (userId: string, tenantId = TENANT, roles: Principal['roles'] = ['developer']): Principal => ({ userId, tenantId, roles });

// Workspace members of ROOM: alice owner, carol editor, bob viewer. LOBBY: alice owner, carol editor.
const alice = user('alice');
const carol = user('carol');
const bob = user('bob');
const dave = user('dave'); // same tenant, member of nothing
const root = user('root', TENANT, ['admin']); // tenant admin, member of nothing
const bobElsewhere = user('bob', OTHER_TENANT); // same user id as a member, other tenant
const foreignAdmin = user('root', OTHER_TENANT, ['admin']);

const HOUR_MS = 60 * 60 * 1000;

const setup = () => {
  const connections = new MemoryConnections();
  const poster = new RecordingPoster();
  const workspaces = new MemoryWorkspaces();
  workspaces.add(TENANT, ROOM, { alice: 'owner', carol: 'editor', bob: 'viewer' });
  workspaces.add(TENANT, LOBBY, { alice: 'owner', carol: 'editor' });
  const executions = new MemoryExecutions();
  executions.add(TENANT, 'exe_mine');
  executions.add(OTHER_TENANT, 'exe_theirs');
  const kinds = channelKinds([workspaceChannelKind(workspaces), executionChannelKind(async () => executions), n8nChannel()]);
  const fanout = new ChannelFanout(connections, poster, kinds, { concurrency: 4 });
  const events = new MemoryEventLog(fanout);
  const ports: RealtimePorts = {
    channels: kinds,
    subscriptions: connections,
    events,
    fanout,
    send: (connectionId, text) => poster.post(connectionId, text),
  };
  const endPorts: EndConnectionPorts = { subscriptions: connections, fanout, send: ports.send, close: (id) => poster.close(id) };
  let opened = 0;
  /** A new connection of `principal` (ids sort in the order they were opened). */
  const connect = (principal: Principal, options: { connectedAt?: Date; expiresAt?: number } = {}): Caller => ({
    principal,
    connectionId: `${principal.tenantId}-${principal.userId}-${String(++opened).padStart(3, '0')}`,
    connectedAt: options.connectedAt ?? new Date(),
    expiresAt: options.expiresAt,
  });
  return { connections, poster, events, fanout, ports, endPorts, connect };
};

/** The error frame a refused action turns into: what the client is told. */
const refusal = async (action: Promise<unknown>): Promise<ErrorFrame> => {
  try {
    await action;
  } catch (error) {
    return errorFrameFrom(error);
  }
  throw new Error('Expected the action to be refused');
};

const messages = (frames: ReceivedFrame[]) => frames.filter((f) => f.type === 'event' && f.event?.kind === 'message');
const presenceFrames = (frames: ReceivedFrame[]) => frames.filter((f) => f.type === 'event' && f.event?.kind.startsWith('presence.'));
const seqsOf = (frames: ReceivedFrame[]) => frames.filter((f) => f.type === 'event' && f.seq !== undefined).map((f) => f.seq);

describe('subscribe: who may read a channel', () => {
  it('lets a viewer subscribe to their workspace, and then pushes its messages to them', async () => {
    const w = setup();
    const viewer = w.connect(bob);

    await expect(subscribe(w.ports, viewer, { channel: ROOM_CHANNEL })).resolves.toEqual({
      type: 'subscribed',
      channel: ROOM_CHANNEL,
      headSeq: 0,
      replayed: 0,
      complete: true,
    });
    await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: 'hello' });

    expect(messages(w.poster.framesTo(viewer.connectionId))).toMatchObject([
      { channel: ROOM_CHANNEL, seq: 1, event: { kind: 'message', data: { userId: 'carol', body: 'hello' } } },
    ]);
  });

  it.each([
    ['a non-member of the tenant', dave],
    ['a member id of another tenant', bobElsewhere],
    ['an admin of another tenant', foreignAdmin],
  ])('tells %s the workspace does not exist, and stores no subscription', async (_label, principal) => {
    const w = setup();
    const outsider = w.connect(principal);

    expect(await refusal(subscribe(w.ports, outsider, { channel: ROOM_CHANNEL }))).toMatchObject({ status: 404 });
    await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: 'secret' });

    expect(await w.connections.subscribersOf(ROOM_CHANNEL)).toEqual([]);
    expect(w.poster.framesTo(outsider.connectionId)).toEqual([]);
  });

  it('lets a tenant admin act as owner of a workspace they are not a member of', async () => {
    const w = setup();
    const admin = w.connect(root);

    await expect(subscribe(w.ports, admin, { channel: ROOM_CHANNEL })).resolves.toMatchObject({ type: 'subscribed' });
    await expect(publish(w.ports, admin, { channel: ROOM_CHANNEL, data: 'from admin' })).resolves.toEqual({
      type: 'published',
      channel: ROOM_CHANNEL,
      seq: 1,
    });
  });

  it('refuses a publish from a viewer with 403 and stores nothing', async () => {
    const w = setup();
    const viewer = w.connect(bob);
    await subscribe(w.ports, viewer, { channel: ROOM_CHANNEL });

    expect(await refusal(publish(w.ports, viewer, { channel: ROOM_CHANNEL, data: 'nope' }))).toMatchObject({ status: 403 });

    expect(await w.events.head(ROOM_CHANNEL)).toBe(0);
    expect(messages(w.poster.framesTo(viewer.connectionId))).toEqual([]);
  });

  it.each(['execution:exe_mine', 'n8n'])('refuses client publishes on %s (written by the platform) with 403', async (channel) => {
    const w = setup();
    const admin = w.connect(root);

    expect(await refusal(publish(w.ports, admin, { channel, data: 'forged' }))).toMatchObject({ status: 403 });

    expect(await w.events.head(channel === 'n8n' ? `n8n:${TENANT}` : channel)).toBe(0);
  });

  it('answers 404 for a channel kind nobody registered', async () => {
    const w = setup();
    const caller = w.connect(alice);

    expect(await refusal(subscribe(w.ports, caller, { channel: 'chat:room1' }))).toMatchObject({ status: 404 });
    expect(w.connections.subscriptionsOf(caller.connectionId)).toEqual([]);
  });

  it.each([
    ['a workspace id of the wrong shape', 'workspace:room1'],
    ['a tenant channel given an id', `n8n:${OTHER_TENANT}`],
  ])('answers 400 naming `channel` for %s', async (_label, channel) => {
    const w = setup();
    const caller = w.connect(alice);

    expect(await refusal(subscribe(w.ports, caller, { channel }))).toMatchObject({
      status: 400,
      errors: [{ path: 'channel', message: expect.any(String) }],
    });
    expect(w.connections.subscriptionsOf(caller.connectionId)).toEqual([]);
  });

  it("treats another tenant's execution as missing (404) and lets the tenant follow its own", async () => {
    const w = setup();
    const caller = w.connect(alice);

    expect(await refusal(subscribe(w.ports, caller, { channel: 'execution:exe_theirs' }))).toMatchObject({ status: 404 });
    await expect(subscribe(w.ports, caller, { channel: 'execution:exe_mine' })).resolves.toMatchObject({ channel: 'execution:exe_mine' });

    expect(w.connections.subscriptionsOf(caller.connectionId).map((s) => s.channel)).toEqual(['execution:exe_mine']);
  });
});

describe('the tenant-wide n8n channel', () => {
  it('is one channel per tenant that clients call just `n8n`', async () => {
    const w = setup();
    const ours = w.connect(alice);
    const theirs = w.connect(bobElsewhere);

    await expect(subscribe(w.ports, ours, { channel: 'n8n' })).resolves.toMatchObject({ type: 'subscribed', channel: 'n8n' });
    await subscribe(w.ports, theirs, { channel: 'n8n' });
    // The n8n monitor writes to the tenant's log.
    await w.events.append(TENANT, `n8n:${TENANT}`, [{ kind: 'n8n.alert', data: { workflow: 'wf1' } }]);

    expect(w.connections.subscriptionsOf(ours.connectionId).map((s) => s.channel)).toEqual([`n8n:${TENANT}`]);
    expect(w.connections.subscriptionsOf(theirs.connectionId).map((s) => s.channel)).toEqual([`n8n:${OTHER_TENANT}`]);
    expect(w.poster.framesTo(ours.connectionId)).toMatchObject([{ type: 'event', channel: 'n8n', seq: 1, event: { kind: 'n8n.alert' } }]);
    expect(w.poster.framesTo(theirs.connectionId)).toEqual([]);

    await expect(unsubscribe(w.ports, ours, { channel: 'n8n' })).resolves.toEqual({ type: 'unsubscribed', channel: 'n8n' });
    expect(w.connections.subscriptionsOf(ours.connectionId)).toEqual([]);
  });
});

describe('publish', () => {
  it('stores the message under the next seq and pushes it to every subscriber, the sender too', async () => {
    const w = setup();
    const editor = w.connect(carol);
    const viewer = w.connect(bob);
    await subscribe(w.ports, editor, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, viewer, { channel: ROOM_CHANNEL });

    await expect(publish(w.ports, editor, { channel: ROOM_CHANNEL, data: { text: 'one' } })).resolves.toEqual({
      type: 'published',
      channel: ROOM_CHANNEL,
      seq: 1,
    });
    await expect(publish(w.ports, editor, { channel: ROOM_CHANNEL, data: { text: 'two' } })).resolves.toMatchObject({ seq: 2 });

    for (const c of [editor, viewer]) {
      expect(messages(w.poster.framesTo(c.connectionId))).toMatchObject([
        { seq: 1, event: { data: { userId: 'carol', body: { text: 'one' } } } },
        { seq: 2, event: { data: { userId: 'carol', body: { text: 'two' } } } },
      ]);
    }
  });
});

describe('subscribe with afterSeq: resuming', () => {
  const history = async (log: MemoryEventLog, n: number, channel = ROOM_CHANNEL) =>
    log.store(
      TENANT,
      channel,
      Array.from({ length: n }, (_, i) => ({ kind: 'message', data: { userId: 'carol', body: `m${i + 1}` } })),
    );

  it('replays exactly the events after afterSeq, in order, and says where the log stands', async () => {
    const w = setup();
    await history(w.events, 5);
    const viewer = w.connect(bob);

    await expect(subscribe(w.ports, viewer, { channel: ROOM_CHANNEL, afterSeq: 2 })).resolves.toEqual({
      type: 'subscribed',
      channel: ROOM_CHANNEL,
      headSeq: 5,
      replayed: 3,
      complete: true,
    });

    expect(messages(w.poster.framesTo(viewer.connectionId))).toMatchObject([
      { channel: ROOM_CHANNEL, seq: 3, event: { data: { body: 'm3' } } },
      { channel: ROOM_CHANNEL, seq: 4, event: { data: { body: 'm4' } } },
      { channel: ROOM_CHANNEL, seq: 5, event: { data: { body: 'm5' } } },
    ]);
  });

  it('replays nothing without afterSeq but still reports the head', async () => {
    const w = setup();
    await history(w.events, 4);
    const viewer = w.connect(bob);

    await expect(subscribe(w.ports, viewer, { channel: ROOM_CHANNEL })).resolves.toMatchObject({ headSeq: 4, replayed: 0, complete: true });
    expect(messages(w.poster.framesTo(viewer.connectionId))).toEqual([]);
  });

  it(`stops after ${MAX_REPLAY} events with complete: false, and the next subscribe picks up the rest`, async () => {
    const w = setup();
    await history(w.events, MAX_REPLAY + 250);
    const viewer = w.connect(bob);

    await expect(subscribe(w.ports, viewer, { channel: ROOM_CHANNEL, afterSeq: 0 })).resolves.toMatchObject({
      headSeq: MAX_REPLAY + 250,
      replayed: MAX_REPLAY,
      complete: false,
    });
    const first = seqsOf(w.poster.framesTo(viewer.connectionId));
    expect(first).toEqual(Array.from({ length: MAX_REPLAY }, (_, i) => i + 1));

    await expect(subscribe(w.ports, viewer, { channel: ROOM_CHANNEL, afterSeq: first.at(-1) })).resolves.toMatchObject({
      replayed: 250,
      complete: true,
    });
    expect(seqsOf(w.poster.framesTo(viewer.connectionId)).slice(MAX_REPLAY)).toEqual(Array.from({ length: 250 }, (_, i) => MAX_REPLAY + i + 1));
  });

  // Short timeout, and posts that yield to timers: a replay that ignored 'gone' could spin forever.
  it('stops replaying as soon as the connection is gone, and sends no ack', { timeout: 2_000 }, async () => {
    const w = setup();
    await history(w.events, 500);
    const viewer = w.connect(bob);
    w.poster.markGone(viewer.connectionId);
    w.poster.latency = () => 1;
    const listAfter = vi.spyOn(w.events, 'listAfter');

    await expect(subscribe(w.ports, viewer, { channel: ROOM_CHANNEL, afterSeq: 0 })).resolves.toBeUndefined();

    expect(w.poster.attemptsTo(viewer.connectionId)).toBe(1);
    expect(listAfter).toHaveBeenCalledTimes(1);
  });

  it('registers the subscription before it reads the log', async () => {
    const w = setup();
    const put = vi.spyOn(w.connections, 'putSubscription');
    const listAfter = vi.spyOn(w.events, 'listAfter');

    await subscribe(w.ports, w.connect(bob), { channel: ROOM_CHANNEL, afterSeq: 0 });

    expect(put.mock.invocationCallOrder[0]).toBeLessThan(listAfter.mock.invocationCallOrder[0]!);
  });

  it('loses no event published while the replay is being read', async () => {
    const w = setup();
    await history(w.events, 2);
    const viewer = w.connect(bob);
    // Another member publishes right after the subscriber's read of the log: the event is not in the replay,
    // so only the live push can bring it.
    let interleaved = false;
    w.events.afterRead = async () => {
      if (interleaved) return;
      interleaved = true;
      await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: 'meanwhile' });
    };

    await subscribe(w.ports, viewer, { channel: ROOM_CHANNEL, afterSeq: 0 });

    // Clients order by seq and drop repeats (docs/realtime.md), so the set of seqs is what counts.
    expect(new Set(seqsOf(w.poster.framesTo(viewer.connectionId)))).toEqual(new Set([1, 2, 3]));
  });
});

describe('presence', () => {
  it('announces a join to everyone in the workspace, the joiner included', async () => {
    const w = setup();
    const first = w.connect(alice);
    const second = w.connect(bob);
    await subscribe(w.ports, first, { channel: ROOM_CHANNEL });

    await subscribe(w.ports, second, { channel: ROOM_CHANNEL });

    const join = {
      type: 'event',
      channel: ROOM_CHANNEL,
      event: { kind: 'presence.join', data: { userId: 'bob', connectionId: second.connectionId } },
    };
    expect(presenceFrames(w.poster.framesTo(first.connectionId)).at(-1)).toMatchObject(join);
    expect(presenceFrames(w.poster.framesTo(second.connectionId))).toMatchObject([join]);
  });

  it('keeps no presence for executions: subscribing there announces nothing', async () => {
    const w = setup();
    const watcher = w.connect(alice);
    await subscribe(w.ports, watcher, { channel: 'execution:exe_mine' });

    await subscribe(w.ports, w.connect(carol), { channel: 'execution:exe_mine' });

    expect(w.poster.framesTo(watcher.connectionId)).toEqual([]);
  });

  it('announces a leave on unsubscribe, once, and the leaver gets no more messages', async () => {
    const w = setup();
    const stays = w.connect(alice);
    const leaves = w.connect(bob);
    await subscribe(w.ports, stays, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, leaves, { channel: ROOM_CHANNEL });

    await expect(unsubscribe(w.ports, leaves, { channel: ROOM_CHANNEL })).resolves.toEqual({ type: 'unsubscribed', channel: ROOM_CHANNEL });
    await expect(unsubscribe(w.ports, leaves, { channel: ROOM_CHANNEL })).resolves.toEqual({ type: 'unsubscribed', channel: ROOM_CHANNEL });
    await publish(w.ports, stays, { channel: ROOM_CHANNEL, data: 'after' });

    const leave = { event: { kind: 'presence.leave', data: { userId: 'bob', connectionId: leaves.connectionId } } };
    expect(presenceFrames(w.poster.framesTo(stays.connectionId)).filter((f) => f.event?.kind === 'presence.leave')).toMatchObject([leave]);
    expect(messages(w.poster.framesTo(leaves.connectionId))).toEqual([]);
  });

  it('on disconnect, forgets every subscription and announces the leave in each workspace', async () => {
    const w = setup();
    const inRoom = w.connect(bob);
    const inLobby = w.connect(alice);
    const watcher = w.connect(alice);
    const leaving = w.connect(carol);
    await subscribe(w.ports, inRoom, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, inLobby, { channel: LOBBY_CHANNEL });
    await subscribe(w.ports, watcher, { channel: 'execution:exe_mine' });
    for (const channel of [ROOM_CHANNEL, LOBBY_CHANNEL, 'execution:exe_mine']) await subscribe(w.ports, leaving, { channel });

    await disconnect(w.ports, leaving.connectionId);

    expect(w.connections.subscriptionsOf(leaving.connectionId)).toEqual([]);
    const leave = (channel: string) => ({
      channel,
      event: { kind: 'presence.leave', data: { userId: 'carol', connectionId: leaving.connectionId } },
    });
    expect(presenceFrames(w.poster.framesTo(inRoom.connectionId)).at(-1)).toMatchObject(leave(ROOM_CHANNEL));
    expect(presenceFrames(w.poster.framesTo(inLobby.connectionId)).at(-1)).toMatchObject(leave(LOBBY_CHANNEL));
    expect(w.poster.framesTo(watcher.connectionId)).toEqual([]);
  });

  it('lists the live members of the tenant grouped by user, sorted by user id', async () => {
    const w = setup();
    const laptop = w.connect(alice);
    const phone = w.connect(alice);
    const editor = w.connect(carol);
    // Opened three hours ago: its connection outlived API Gateway's two hours, $disconnect never came.
    const stale = w.connect(bob, { connectedAt: new Date(Date.now() - 3 * HOUR_MS) });
    for (const c of [editor, phone, laptop, stale]) await subscribe(w.ports, c, { channel: ROOM_CHANNEL });
    // A subscription of another tenant under the same log name must never show up.
    await w.connections.putSubscription(subscriptionItem('intruder', ROOM_CHANNEL, bobElsewhere, new Date(), new Date()));

    await expect(presence(w.ports, w.connect(bob), { channel: ROOM_CHANNEL })).resolves.toEqual({
      type: 'presence',
      channel: ROOM_CHANNEL,
      members: [
        { userId: 'alice', connectionIds: [laptop.connectionId, phone.connectionId] },
        { userId: 'carol', connectionIds: [editor.connectionId] },
      ],
    });
  });

  it('refuses presence to a non-member (404) and on channels without presence (400 naming `channel`)', async () => {
    const w = setup();

    expect(await refusal(presence(w.ports, w.connect(dave), { channel: ROOM_CHANNEL }))).toMatchObject({ status: 404 });
    expect(await refusal(presence(w.ports, w.connect(alice), { channel: 'n8n' }))).toMatchObject({
      status: 400,
      errors: [{ path: 'channel', message: expect.stringContaining('workspace:<id>') }],
    });
  });

  it(`pushes no joins in a workspace of more than ${PRESENCE_PUSH_MAX_SUBSCRIBERS} subscribers, but still lists them`, async () => {
    const w = setup();
    const crowd = Array.from({ length: PRESENCE_PUSH_MAX_SUBSCRIBERS }, (_, i) => `crowd-${String(i).padStart(3, '0')}`);
    for (const id of crowd) await w.connections.putSubscription(subscriptionItem(id, ROOM_CHANNEL, alice, new Date(), new Date()));

    await subscribe(w.ports, w.connect(bob), { channel: ROOM_CHANNEL });

    expect(crowd.some((id) => w.poster.attemptsTo(id) > 0)).toBe(false);
    const listed = (await presence(w.ports, w.connect(bob), { channel: ROOM_CHANNEL })) as { members: Array<{ connectionIds: string[] }> };
    expect(listed.members.flatMap((m) => m.connectionIds)).toHaveLength(PRESENCE_PUSH_MAX_SUBSCRIBERS + 1);
  });
});

describe('ChannelFanout', () => {
  it('prunes a gone connection with all its subscriptions, and its workspaces see it leave', async () => {
    const w = setup();
    const inRoom = w.connect(bob);
    const inLobby = w.connect(alice);
    const vanished = w.connect(carol);
    await subscribe(w.ports, inRoom, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, inLobby, { channel: LOBBY_CHANNEL });
    await subscribe(w.ports, vanished, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, vanished, { channel: LOBBY_CHANNEL });
    // The client vanished without a $disconnect.
    w.poster.markGone(vanished.connectionId);

    await publish(w.ports, w.connect(alice), { channel: ROOM_CHANNEL, data: 'anyone there?' });

    expect(w.connections.subscriptionsOf(vanished.connectionId)).toEqual([]);
    const leave = (channel: string) => ({
      channel,
      event: { kind: 'presence.leave', data: { userId: 'carol', connectionId: vanished.connectionId } },
    });
    expect(messages(w.poster.framesTo(inRoom.connectionId))).toMatchObject([{ seq: 1, event: { data: { body: 'anyone there?' } } }]);
    expect(presenceFrames(w.poster.framesTo(inRoom.connectionId)).at(-1)).toMatchObject(leave(ROOM_CHANNEL));
    expect(presenceFrames(w.poster.framesTo(inLobby.connectionId)).at(-1)).toMatchObject(leave(LOBBY_CHANNEL));

    // Later pushes no longer try it.
    const attempts = w.poster.attemptsTo(vanished.connectionId);
    await publish(w.ports, w.connect(alice), { channel: LOBBY_CHANNEL, data: 'again' });
    expect(w.poster.attemptsTo(vanished.connectionId)).toBe(attempts);
  });

  it('keeps a connection whose post failed (not gone), and the others still get the event', async () => {
    const w = setup();
    const flaky = w.connect(bob);
    const fine = w.connect(alice);
    await subscribe(w.ports, flaky, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, fine, { channel: ROOM_CHANNEL });
    w.poster.markFailing(flaky.connectionId);

    await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: 'hi' });

    expect(messages(w.poster.framesTo(fine.connectionId))).toHaveLength(1);
    expect(w.connections.subscriptionsOf(flaky.connectionId).map((s) => s.channel)).toEqual([ROOM_CHANNEL]);
  });

  it.each([
    ['whose connection is older than two hours', { connectedAt: new Date(Date.now() - 3 * HOUR_MS) }],
    ['whose JWT has expired', { expiresAt: Math.floor(Date.now() / 1000) - 1 }],
  ])('sends nothing to a subscription %s', async (_label, options) => {
    const w = setup();
    const expired = w.connect(bob, options);
    const live = w.connect(alice);
    await subscribe(w.ports, expired, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, live, { channel: ROOM_CHANNEL });
    const before = w.poster.attemptsTo(expired.connectionId);

    await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: 'hi' });

    expect(w.poster.attemptsTo(expired.connectionId)).toBe(before);
    expect(messages(w.poster.framesTo(live.connectionId))).toHaveLength(1);
  });

  it("sends nothing to another tenant's subscription, even under the same channel name", async () => {
    const w = setup();
    await w.connections.putSubscription(subscriptionItem('intruder', ROOM_CHANNEL, bobElsewhere, new Date(), new Date()));

    await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: 'tenant a only' });

    expect(w.poster.attemptsTo('intruder')).toBe(0);
  });

  it('delivers the events of a batch to each connection in seq order, however the posts race', async () => {
    const w = setup();
    const listeners = Array.from({ length: 6 }, () => w.connect(alice));
    for (const c of listeners) await subscribe(w.ports, c, { channel: 'execution:exe_mine' });
    const stored = await w.events.store(TENANT, 'execution:exe_mine', [{ kind: 'token' }, { kind: 'token' }, { kind: 'step' }, { kind: 'done' }]);
    // Later frames land faster, so posts that are not awaited one by one would overtake each other.
    w.poster.latency = (_id, text) => 10 - ((JSON.parse(text) as ReceivedFrame).seq ?? 0);

    await w.fanout.fanOut(TENANT, [stored[2]!, stored[0]!, stored[3]!, stored[1]!]);

    for (const c of listeners) expect(seqsOf(w.poster.framesTo(c.connectionId))).toEqual([1, 2, 3, 4]);
  });

  it('sends an event too large for a frame as a pointer to where it can be fetched', async () => {
    const w = setup();
    const viewer = w.connect(bob);
    const watcher = w.connect(alice);
    await subscribe(w.ports, viewer, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, watcher, { channel: 'execution:exe_mine' });
    const huge = 'x'.repeat(MAX_EVENT_FRAME_BYTES);
    await w.events.append(TENANT, 'execution:exe_mine', [{ kind: 'token', data: { text: 'small' } }]);

    await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: 'small' });
    await publish(w.ports, w.connect(carol), { channel: ROOM_CHANNEL, data: huge });
    await w.events.append(TENANT, 'execution:exe_mine', [{ kind: 'tool.result', data: { output: huge } }]);

    const [small, pointer] = messages(w.poster.framesTo(viewer.connectionId));
    expect(small).toMatchObject({ seq: 1, event: { data: { body: 'small' } } });
    expect(pointer).toEqual({
      type: 'event',
      channel: ROOM_CHANNEL,
      seq: 2,
      event: { kind: 'message', at: expect.any(String) },
      truncated: true,
      fetch: `/v1/workspaces/${ROOM}/messages?before=3&limit=1`,
    });
    expect(w.poster.framesTo(watcher.connectionId).at(-1)).toMatchObject({
      seq: 2,
      truncated: true,
      fetch: '/v1/executions/exe_mine/events?afterSeq=1&limit=1',
    });
    for (const c of [viewer, watcher]) {
      for (const text of w.poster.textsTo(c.connectionId)) expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_EVENT_FRAME_BYTES);
    }

    // A replay sends the same pointer.
    const late = w.connect(bob);
    await subscribe(w.ports, late, { channel: ROOM_CHANNEL, afterSeq: 1 });
    expect(messages(w.poster.framesTo(late.connectionId))).toEqual([pointer]);
  });
});

describe('credentialsHold', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const caller = (expiresAt?: number): Caller => ({ principal: alice, connectionId: 'c1', connectedAt: new Date(now - HOUR_MS), expiresAt });
  const active = { isActive: async () => true };
  const revoked = { isActive: async () => false };

  it('holds for an unexpired JWT and an API key that is still active', async () => {
    expect(await credentialsHold(active, caller(now / 1000 + 60), now)).toBe(true);
    expect(await credentialsHold(active, caller(), now)).toBe(true);
  });

  it('does not hold once the JWT has expired (at its exp second, too)', async () => {
    expect(await credentialsHold(active, caller(now / 1000 - 60), now)).toBe(false);
    expect(await credentialsHold(active, caller(now / 1000), now)).toBe(false);
  });

  it('does not hold when the platform says the key was revoked', async () => {
    const status = { isActive: vi.fn(async (_p: Principal) => false) };
    expect(await credentialsHold(status, caller(), now)).toBe(false);
    expect(status.isActive).toHaveBeenCalledWith(alice);
    expect(await credentialsHold(revoked, caller(now / 1000 + 60), now)).toBe(false);
  });
});

describe('ending connections whose credentials lapsed', () => {
  it('tells the client why (401, echoing the frame id), forgets its subscriptions, announces the leave, then closes', async () => {
    const w = setup();
    const other = w.connect(alice);
    const lapsed = w.connect(bob);
    await subscribe(w.ports, other, { channel: ROOM_CHANNEL });
    await subscribe(w.ports, lapsed, { channel: ROOM_CHANNEL });

    await endConnection(w.endPorts, lapsed.connectionId, 'f-7');

    // The poster refuses posts to a closed connection, so receiving it means it was sent before the close.
    expect(w.poster.framesTo(lapsed.connectionId).at(-1)).toEqual({
      type: 'error',
      status: 401,
      title: 'Unauthorized',
      detail: STALE_CREDENTIALS_DETAIL,
      id: 'f-7',
    });
    expect(w.connections.subscriptionsOf(lapsed.connectionId)).toEqual([]);
    expect(presenceFrames(w.poster.framesTo(other.connectionId)).at(-1)).toMatchObject({
      event: { kind: 'presence.leave', data: { userId: 'bob', connectionId: lapsed.connectionId } },
    });
    expect(w.poster.closed).toEqual([lapsed.connectionId]);
  });

  it('ends every connection of the user in that tenant, and only those, reporting the ones that failed', async () => {
    const w = setup();
    const callers = {
      laptop: w.connect(bob),
      phone: w.connect(bob),
      broken: w.connect(bob),
      colleague: w.connect(alice),
      elsewhere: w.connect(bobElsewhere),
    };
    for (const c of Object.values(callers)) {
      await w.connections.put(connectionItem(c.connectionId, c.principal, new Date()));
      if (c.principal.tenantId === TENANT) await subscribe(w.ports, c, { channel: ROOM_CHANNEL });
    }
    w.poster.failCloseOf(callers.broken.connectionId);

    const result = await endSessionsOf({ ...w.endPorts, subscriptions: w.connections }, TENANT, 'bob');

    expect(result.ended).toBe(2);
    expect(result.failed).toEqual([{ connectionId: callers.broken.connectionId, error: expect.any(Error) }]);
    expect([...w.poster.closed].sort()).toEqual([callers.laptop.connectionId, callers.phone.connectionId].sort());
    for (const c of [callers.laptop, callers.phone, callers.broken]) {
      expect(w.poster.framesTo(c.connectionId).at(-1)).toMatchObject({ type: 'error', status: 401 });
      expect(w.connections.subscriptionsOf(c.connectionId)).toEqual([]);
    }
    expect(w.connections.subscriptionsOf(callers.colleague.connectionId).map((s) => s.channel)).toEqual([ROOM_CHANNEL]);
    expect(w.poster.framesTo(callers.elsewhere.connectionId)).toEqual([]);
  });
});
