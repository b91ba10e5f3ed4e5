/**
 * The S3 client every function builds: path-style URLs where the environment asks for them (the local
 * emulator and LocalStack), and the bucket name from the standard variable.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { env } from './resources.ts';

/**
 * Checksums only where S3 requires them, set here in code rather than left to the environment: the SDK's
 * default (`WHEN_SUPPORTED`) signs a CRC32 of the *empty* body into every presigned PUT URL
 * (`x-amz-checksum-crc32`, `x-amz-sdk-checksum-algorithm`), and S3 then refuses the real file the client
 * uploads with it. The local runtime also sets AWS_REQUEST_CHECKSUM_CALCULATION, the deployed functions
 * do not, so a setting that lived only in the environment would hold locally and break in AWS.
 */
export const createS3Client = (environment: NodeJS.ProcessEnv = process.env): S3Client =>
  new S3Client({
    forcePathStyle: environment[env.s3ForcePathStyle] === 'true',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

/** The files bucket (BUCKET_NAME): set for every function whose manifest access names the bucket. */
export const bucketName = (environment: NodeJS.ProcessEnv = process.env): string => {
  const bucket = environment[env.bucket];
  if (!bucket) throw new Error(`${env.bucket} is not set`);
  return bucket;
};
