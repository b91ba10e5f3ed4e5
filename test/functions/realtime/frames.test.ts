/** What a WebSocket client gets back for each kind of frame on `$default` / `ping`. */
import { describe, expect, it } from 'vitest';
import { parseFrame, publishFrame, replyTo } from '#functions/realtime/frames.ts';
import { ValidationError } from '#shared/errors.ts';
import { CONNECTION_TTL_SECONDS, connectionItem } from '#functions/realtime/connection.ts';

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

describe('parseFrame', () => {
  it.each([
    ['NUL in the data', { data: 'x\u0000' }, 'data'],
    ['a lone surrogate deep in the data', { data: { list: ['ok', 'a\udc00'] } }, 'data.list.1'],
    ['NUL in the frame id', { id: 'i\u0000', data: 'x' }, 'id'],
  ])('refuses %s (PostgreSQL cannot store it) naming the field', (_label, fields, path) => {
    const body = JSON.stringify({ action: 'publish', channel: 'workspace:wsp_abcdefgh12', ...fields });
    let error: unknown;
    try {
      parseFrame(body, publishFrame);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ path, message: expect.any(String) }]);
  });

  it('takes ordinary text', () => {
    expect(parseFrame(JSON.stringify({ action: 'publish', channel: 'workspace:wsp_abcdefgh12', data: 'héllo 😀' }), publishFrame).data).toBe(
      'héllo 😀',
    );
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
