/** What a WebSocket client gets back for each kind of frame on `$default` / `ping`. */
import { describe, expect, it } from 'vitest';
import { replyTo } from '#functions/realtime/frames.ts';
import { CONNECTION_TTL_SECONDS, connectionItem } from '#functions/realtime/connection.repository.ts';

describe('replyTo', () => {
  it('answers ping with pong', () => {
    expect(replyTo('{"action":"ping"}')).toEqual({ type: 'pong' });
  });

  it.each([
    ['not JSON', 'hello', 'Malformed frame'],
    ['empty', '', 'Malformed frame'],
    ['no action', '{"channel":"x"}', 'Missing action'],
    ['non-string action', '{"action":5}', 'Missing action'],
    ['a JSON array', '[1,2]', 'Missing action'],
    ['unknown action', '{"action":"dance"}', 'Unknown action'],
  ])('answers %s with a 400 error frame', (_label, body, title) => {
    expect(replyTo(body)).toEqual({ type: 'error', status: 400, title, detail: expect.any(String) });
  });
});

describe('connectionItem', () => {
  it('keys the connection, keeps the principal and expires after two hours', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(connectionItem('abc=', { userId: 'u', tenantId: 't', roles: ['admin', 'viewer'] }, now)).toMatchObject({
      pk: 'conn#abc=',
      sk: 'meta',
      userId: 'u',
      tenantId: 't',
      roles: 'admin,viewer',
      connectedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: now.getTime() / 1000 + CONNECTION_TTL_SECONDS,
    });
  });
});
