/** The tenant files the built-in file tools (and large tool outputs) read and write: S3, built once per cold start. */
import { bucketName, createS3Client } from '#shared/s3.ts';
import type { FilesPort } from './files.port.ts';
import { S3FilesPort } from './s3-files.adapter.ts';

let files: FilesPort | undefined;

export const filesPort = (): FilesPort => (files ??= new S3FilesPort(createS3Client(), bucketName()));
