/**
 * The S3 client every function builds: path-style URLs where the environment asks for them (the local
 * emulator and LocalStack), and the bucket name from the standard variable.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { env } from './resources.ts';

export const createS3Client = (environment: NodeJS.ProcessEnv = process.env): S3Client =>
  new S3Client({ forcePathStyle: environment[env.s3ForcePathStyle] === 'true' });

/** The files bucket (BUCKET_NAME): set for every function whose manifest access names the bucket. */
export const bucketName = (environment: NodeJS.ProcessEnv = process.env): string => {
  const bucket = environment[env.bucket];
  if (!bucket) throw new Error(`${env.bucket} is not set`);
  return bucket;
};
