/** S3 file storage for the files handlers, built once per cold start. */
import { env } from '#lib/resources.ts';
import { createS3Client } from '../tools/s3-files.adapter.ts';
import type { FileStorage } from './file.ts';
import { S3FileStorage } from './s3-file-storage.adapter.ts';

let storage: FileStorage | undefined;

export const fileStorage = (): FileStorage => {
  if (storage) return storage;
  const bucket = process.env[env.bucket];
  if (!bucket) throw new Error(`${env.bucket} is not set`);
  return (storage = new S3FileStorage(createS3Client(), bucket));
};
