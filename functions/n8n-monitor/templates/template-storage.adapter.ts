/** Template JSON in the files bucket, under `n8n-templates/<tenantId>/<templateId>/v<version>.json`. */
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TemplateStorage } from './template.ts';

export const s3TemplateStorage = (client: S3Client, bucket: () => string): TemplateStorage => ({
  put: async (key, json) => {
    await client.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: json, ContentType: 'application/json' }));
  },
  get: async (key) => {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  },
  delete: async (keys) => {
    for (let i = 0; i < keys.length; i += 1000) {
      await client.send(
        new DeleteObjectsCommand({ Bucket: bucket(), Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
      );
    }
  },
});
