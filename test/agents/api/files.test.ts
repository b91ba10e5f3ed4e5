/**
 * Files as a client uses them: register, PUT the bytes to the presigned URL (plain fetch, straight to the
 * S3 emulator), read back metadata and download, through the local runtime.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { errorPaths, problemOf } from '../../support/problem.ts';

let rt: TestRuntime;
let db: pg.Pool;
let developer: Record<string, string>;
let viewer: Record<string, string>;

beforeAll(async () => {
  rt = await startTestRuntime();
  db = new pg.Pool({ connectionString: rt.databaseUrl, max: 1 });
  developer = { authorization: `Bearer ${await rt.mintJwt({ sub: 'dev-1', roles: ['developer'] })}` };
  viewer = { authorization: `Bearer ${await rt.mintJwt({ sub: 'viewer-1', roles: ['viewer'] })}` };
});
afterAll(async () => {
  await db?.end();
  await rt?.stop();
});

type Init = RequestInit & { json?: unknown };
const as = (headers: Record<string, string>, init: Init = {}): Init => ({
  ...init,
  headers: { ...headers, ...(init.headers as Record<string, string>) },
});
const fileCount = async (): Promise<number> => (await db.query('SELECT count(*)::int AS n FROM files')).rows[0].n;

// A 1x1 transparent PNG.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const register = async (body: Record<string, unknown>, headers = developer) => {
  const res = await rt.fetchJson('/v1/files', as(headers, { method: 'POST', json: body }));
  expect(res.status, res.text).toBe(201);
  return res.body;
};

describe('presigned upload and download', () => {
  it('PUT to the upload URL stores the bytes; GET marks the file uploaded and its download URL returns them', async () => {
    const created = await register({ filename: 'pixel.png', contentType: 'image/png', sizeBytes: png.byteLength });
    expect(created).toMatchObject({
      fileId: expect.stringMatching(/^fil_/),
      filename: 'pixel.png',
      contentType: 'image/png',
      sizeBytes: png.byteLength,
      status: 'pending',
      uploadMethod: 'PUT',
      headers: { 'Content-Type': 'image/png' },
    });
    // Reachable from the client's machine: the emulator's own address, not an in-process one.
    expect(created.uploadUrl.startsWith(rt.env.AWS_ENDPOINT_URL_S3!)).toBe(true);
    const ttl = Date.parse(created.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);

    const pending = await rt.fetchJson(`/v1/files/${created.fileId}`, as(viewer));
    expect(pending).toMatchObject({ status: 200, body: { status: 'pending', downloadUrl: null, uploadedAt: null } });

    const put = await fetch(created.uploadUrl, { method: 'PUT', headers: created.headers, body: png });
    expect(put.status, await put.text()).toBe(200);

    const uploaded = await rt.fetchJson(`/v1/files/${created.fileId}`, as(viewer));
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toMatchObject({
      fileId: created.fileId,
      status: 'uploaded',
      sizeBytes: png.byteLength,
      createdBy: 'dev-1',
      uploadedAt: expect.any(String),
      downloadUrl: expect.stringContaining(rt.env.AWS_ENDPOINT_URL_S3!),
    });
    const download = await fetch(uploaded.body.downloadUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.headers.get('content-disposition')).toContain('pixel.png');
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);

    // Where executions and the tenant's storage find it.
    const row = await db.query('SELECT key, status, tenant_id FROM files WHERE id = $1', [created.fileId]);
    expect(row.rows[0]).toEqual({ key: `tenants/default/uploads/${created.fileId}`, status: 'uploaded', tenant_id: 'default' });
  });

  it('an object of another size than declared does not count as uploaded', async () => {
    const created = await register({ filename: 'notes.txt', contentType: 'text/plain', sizeBytes: 5 });
    // S3 refuses a body whose length differs from the signed Content-Length; the emulator may store it,
    // so the size check on read is what keeps a mismatched object from being used.
    await fetch(created.uploadUrl, { method: 'PUT', headers: created.headers, body: 'hello, world' }).then((r) => r.arrayBuffer());
    const res = await rt.fetchJson(`/v1/files/${created.fileId}`, as(developer));
    expect(res.body).toMatchObject({ status: 'pending', downloadUrl: null });
  });
});

describe('bad input, roles and tenants', () => {
  it('POST /v1/files: 400 naming the field, nothing stored', async () => {
    const before = await fileCount();
    const valid = { filename: 'a.png', contentType: 'image/png', sizeBytes: 10 };
    const cases: Array<[string, Init, string[]]> = [
      ['malformed JSON', { method: 'POST', body: '{"filename"', headers: { 'content-type': 'application/json' } }, ['body']],
      ['missing fields', { method: 'POST', json: {} }, ['body.filename', 'body.contentType', 'body.sizeBytes']],
      ['oversize', { method: 'POST', json: { ...valid, sizeBytes: 20 * 1024 * 1024 + 1 } }, ['body.sizeBytes']],
      ['empty file', { method: 'POST', json: { ...valid, sizeBytes: 0 } }, ['body.sizeBytes']],
      ['size as string', { method: 'POST', json: { ...valid, sizeBytes: '10' } }, ['body.sizeBytes']],
      ['content type not allowed', { method: 'POST', json: { ...valid, contentType: 'application/x-msdownload' } }, ['body.contentType']],
      ['blank filename', { method: 'POST', json: { ...valid, filename: '  ' } }, ['body.filename']],
      ['control characters', { method: 'POST', json: { ...valid, filename: 'a\nb.png' } }, ['body.filename']],
    ];
    for (const [label, init, paths] of cases) {
      const res = await rt.fetchJson('/v1/files', as(developer, init));
      expect(res.status, label).toBe(400);
      expect(errorPaths(res), label).toEqual(expect.arrayContaining(paths));
    }
    expect(await fileCount()).toBe(before);
  });

  it('GET /v1/files/{fileId}: a bad id is 400, an unknown one 404', async () => {
    const bad = await rt.fetchJson('/v1/files/agt_12345678', as(viewer));
    expect(bad.status).toBe(400);
    expect(errorPaths(bad)).toEqual(['params.fileId']);
    const missing = await rt.fetchJson('/v1/files/fil_doesNotExist0', as(viewer));
    expect(missing.status).toBe(404);
    problemOf(missing);
  });

  it('a viewer cannot register a file (403) but can read one', async () => {
    const before = await fileCount();
    const res = await rt.fetchJson('/v1/files', as(viewer, { method: 'POST', json: { filename: 'a.png', contentType: 'image/png', sizeBytes: 10 } }));
    expect(res.status).toBe(403);
    problemOf(res);
    expect(await fileCount()).toBe(before);
  });

  it("another tenant's file is 404", async () => {
    const created = await register({ filename: 'secret.json', contentType: 'application/json', sizeBytes: 2 });
    const b = await rt.fetchJson('/v1/tenants', { method: 'POST', json: { name: 'Files B' }, headers: { 'x-api-key': rt.apiKey } });
    const res = await rt.fetchJson(`/v1/files/${created.fileId}`, { headers: { 'x-api-key': b.body.adminKey.apiKey } });
    expect(res.status).toBe(404);
    problemOf(res);
  });
});
