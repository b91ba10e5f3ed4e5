/**
 * Presigned uploads as S3 checks them. The SDK's default checksum mode signs a CRC32 of the empty body into a
 * presigned PUT, and S3 then refuses the real file; the local runtime hides that by setting
 * AWS_REQUEST_CHECKSUM_CALCULATION, which deployed functions do not get. So these URLs are made with that
 * variable unset, through the client factory and the adapter the functions use.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { S3FileStorage } from '#functions/agents/files/s3-file-storage.adapter.ts';
import { createS3Client } from '#shared/s3.ts';

const CHECKSUM_VARIABLES = ['AWS_REQUEST_CHECKSUM_CALCULATION', 'AWS_RESPONSE_CHECKSUM_VALIDATION'];
const saved = new Map<string, string | undefined>();

beforeEach(() => {
  // As in a deployed Lambda: a region and credentials, no checksum settings in the environment.
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEEXAMPLE00');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'example-secret-key-example-secret-key-0');
  for (const name of CHECKSUM_VARIABLES) {
    saved.set(name, process.env[name]);
    delete process.env[name];
  }
});
afterEach(() => {
  vi.unstubAllEnvs();
  for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
});

const checksumParameters = (url: string): string[] => [...new URL(url).searchParams.keys()].filter((k) => /^x-amz-(checksum-|sdk-checksum)/i.test(k));
const signedHeaders = (url: string): string[] => (new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');

describe('presigned uploads', () => {
  it('carry no checksum parameter, and still sign the content type and length', async () => {
    const storage = new S3FileStorage(createS3Client(), 'files-bucket');
    const { url, headers } = await storage.presignUpload('tenants/t1/uploads/fil_1', {
      contentType: 'image/png',
      sizeBytes: 1234,
      expiresInSeconds: 900,
    });
    expect(checksumParameters(url)).toEqual([]);
    expect(signedHeaders(url)).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
    expect(headers).toMatchObject({ 'Content-Type': 'image/png' });
  });

  it('would carry a CRC32 of the empty body with the SDK default, which is what the factory prevents', async () => {
    // The failure the factory's setting prevents, shown with a client built without it.
    const url = await getSignedUrl(new S3Client({}), new PutObjectCommand({ Bucket: 'files-bucket', Key: 'k', ContentType: 'image/png' }), {
      expiresIn: 900,
    });
    expect(checksumParameters(url).length).toBeGreaterThan(0);
  });

  it('every S3 client in functions/ comes from createS3Client', () => {
    const root = path.resolve(import.meta.dirname, '../../../functions');
    const offenders = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && f !== path.join('shared', 's3.ts'))
      .filter((f) => /new\s+S3Client\s*\(/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
