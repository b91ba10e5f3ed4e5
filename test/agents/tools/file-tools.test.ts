/**
 * read_file / write_file / list_files through the S3 adapter against a real S3 emulator (s3rver), with the
 * client built from the environment exactly as in a function: files land under the tenant's prefix, paths
 * cannot leave it, and one tenant never sees another's files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFileTools } from '#functions/agents/tools/file.tools.ts';
import { S3FilesPort } from '#functions/agents/tools/s3-files.adapter.ts';
import { createS3Client } from '#shared/s3.ts';
import { createToolRunner } from '#functions/agents/tools/tool.runner.ts';
import type { ToolContext, ToolResult } from '#functions/agents/tools/tool.types.ts';
import { call, context } from './tool-fixtures.ts';

const bucket = 'tools-test-files';
let dir: string;
let s3rver: S3rver;
let client: S3Client;
let ctxA: ToolContext;
let ctxB: ToolContext;
const runner = createToolRunner(createFileTools({ maxReadBytes: 1024, maxWriteBytes: 2048 }));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mls-tools-s3-'));
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { port } = await s3rver.run();
  // The same variables the local runtime hands a function; createS3Client reads nothing else.
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_ENDPOINT_URL_S3', `http://127.0.0.1:${port}`);
  vi.stubEnv('AWS_REQUEST_CHECKSUM_CALCULATION', 'WHEN_REQUIRED');
  vi.stubEnv('AWS_RESPONSE_CHECKSUM_VALIDATION', 'WHEN_REQUIRED');
  vi.stubEnv('S3_FORCE_PATH_STYLE', 'true');
  client = createS3Client();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const files = new S3FilesPort(client, bucket);
  ctxA = context({ tenantId: 'tenant-a', files });
  ctxB = context({ tenantId: 'tenant-b', files });
});

afterAll(async () => {
  client?.destroy();
  await s3rver?.close();
  vi.unstubAllEnvs();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (ctx: ToolContext, name: string, args: Record<string, unknown>): Promise<ToolResult> => runner.runToolCall(call(name, args), ctx);
const output = <T>(result: ToolResult): T => {
  if (!result.ok) throw new Error(`${result.error.type}: ${result.error.message}`);
  return result.output as T;
};

describe('file tools on S3', () => {
  it('reads back what it wrote, under the tenant prefix', async () => {
    const content = '# Notes\nünïcödé ✓\n';
    expect(output(await run(ctxA, 'write_file', { path: 'notes/todo.md', content }))).toEqual({
      path: 'notes/todo.md',
      size: Buffer.byteLength(content),
    });
    expect(output(await run(ctxA, 'read_file', { path: 'notes/todo.md' }))).toMatchObject({
      path: 'notes/todo.md',
      content,
      contentType: 'text/markdown; charset=utf-8',
    });

    const raw = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'tenants/tenant-a/files/notes/todo.md' }));
    expect(await raw.Body?.transformToString()).toBe(content);
    // Models echo keys back; the tenant's own full key is the same file.
    expect(output(await run(ctxA, 'read_file', { path: 'tenants/tenant-a/files/notes/todo.md' }))).toMatchObject({ content });
  });

  it('lists files, under a folder and page by page', async () => {
    for (const name of ['reports/q1.txt', 'reports/q2.txt', 'reports/2024/q4.txt']) {
      output(await run(ctxA, 'write_file', { path: name, content: name }));
    }
    const all = output<{ files: Array<{ path: string; size: number }> }>(await run(ctxA, 'list_files', { folder: 'reports/' }));
    expect(all.files.map((f) => f.path).sort()).toEqual(['reports/2024/q4.txt', 'reports/q1.txt', 'reports/q2.txt']);
    expect(all.files.find((f) => f.path === 'reports/q1.txt')?.size).toBe('reports/q1.txt'.length);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = output<{ files: Array<{ path: string }>; nextCursor: string | null }>(
        await run(ctxA, 'list_files', { folder: 'reports', limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(page.files.length).toBeLessThanOrEqual(2);
      seen.push(...page.files.map((f) => f.path));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(all.files.map((f) => f.path).sort());
  });

  it('answers not_found for a file that does not exist', async () => {
    expect(await run(ctxA, 'read_file', { path: 'nope.txt' })).toMatchObject({ ok: false, error: { type: 'not_found' } });
  });

  it.each([
    ['../tenant-b/files/secret.txt', 'refused'],
    ['notes/../../tenant-b/files/secret.txt', 'refused'],
    ['/etc/passwd', 'refused'],
    ['tenants/tenant-b/files/secret.txt', 'refused'],
    ['./notes/todo.md', 'refused'],
    ['notes\\..\\x', 'refused'],
    ['notes//x', 'invalid_arguments'],
  ])('refuses the path %s', async (bad, type) => {
    expect(await run(ctxA, 'read_file', { path: bad })).toMatchObject({ ok: false, error: { type } });
    expect(await run(ctxA, 'write_file', { path: bad, content: 'x' })).toMatchObject({ ok: false, error: { type } });
  });

  it("keeps tenants apart: B cannot read or list A's files", async () => {
    output(await run(ctxA, 'write_file', { path: 'secret.txt', content: 'A only' }));
    expect(await run(ctxB, 'read_file', { path: 'secret.txt' })).toMatchObject({ ok: false, error: { type: 'not_found' } });
    expect(await run(ctxB, 'read_file', { path: 'tenants/tenant-a/files/secret.txt' })).toMatchObject({ ok: false, error: { type: 'refused' } });
    expect(output<{ files: unknown[] }>(await run(ctxB, 'list_files', {})).files).toEqual([]);

    output(await run(ctxB, 'write_file', { path: 'secret.txt', content: 'B only' }));
    expect(output(await run(ctxA, 'read_file', { path: 'secret.txt' }))).toMatchObject({ content: 'A only' });
  });

  it('enforces size limits on write and read', async () => {
    expect(await run(ctxA, 'write_file', { path: 'big.txt', content: 'x'.repeat(2049) })).toMatchObject({ ok: false, error: { type: 'too_large' } });
    output(await run(ctxA, 'write_file', { path: 'medium.txt', content: 'x'.repeat(2000) }));
    expect(await run(ctxA, 'read_file', { path: 'medium.txt' })).toMatchObject({
      ok: false,
      error: { type: 'too_large', message: expect.stringContaining('2000 bytes') },
    });
  });

  it('says a binary file is not text instead of returning garbage', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'tenants/tenant-a/files/image.png',
        Body: Buffer.from([0x89, 0x50, 0xff, 0xfe, 0x00]),
        ContentType: 'image/png',
      }),
    );
    expect(await run(ctxA, 'read_file', { path: 'image.png' })).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments', message: expect.stringContaining('not a text file') },
    });
  });
});
