/** Files wired to PostgreSQL (metadata) and S3 (bytes, presigned URLs), built once per cold start. */
import { getPool } from '#shared/db.ts';
import { bucketName, createS3Client } from '#shared/s3.ts';
import { PgFileRepository } from './file.repository.ts';
import type { FileRepository, FileStorage } from './file.ts';
import { S3FileStorage } from './s3-file-storage.adapter.ts';

let storage: FileStorage | undefined;

export const files = async (): Promise<FileRepository> => new PgFileRepository(await getPool());

export const fileStorage = (): FileStorage => (storage ??= new S3FileStorage(createS3Client(), bucketName()));
