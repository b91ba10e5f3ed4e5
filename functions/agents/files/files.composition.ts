/**
 * Files wired to PostgreSQL (metadata) and S3 (bytes, presigned URLs), built once per cold start. The S3
 * adapter is loaded on the storage's first call (lazyPort): the executions' functions hold this storage for
 * the rare run that attaches files, and do not load S3 on a cold start for it.
 */
import { getPool } from '#shared/db.ts';
import { lazyPort } from '#shared/lazy-port.ts';
import { PgFileRepository } from './file.repository.ts';
import type { FileRepository, FileStorage } from './file.ts';

const storage = lazyPort<FileStorage>(
  async () => {
    const [{ bucketName, createS3Client }, { S3FileStorage }] = await Promise.all([import('#shared/s3.ts'), import('./s3-file-storage.adapter.ts')]);
    return new S3FileStorage(createS3Client(), bucketName());
  },
  { presignUpload: true, presignDownload: true, sizeOf: true },
);

export const files = async (): Promise<FileRepository> => new PgFileRepository(await getPool());

export const fileStorage = (): FileStorage => storage;
