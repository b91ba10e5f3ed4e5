/**
 * File storage on S3 with presigned URLs. The client comes from the same factory as the file tools' (the
 * standard AWS environment plus S3_FORCE_PATH_STYLE), so locally `AWS_ENDPOINT_URL_S3` points the URLs at
 * s3rver and they work from the caller's machine as they are.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FileStorage, PresignedRequest } from './file.ts';

const isMissing = (error: unknown): boolean =>
  error instanceof S3ServiceException && (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);

/** RFC 6266 attachment name: an ASCII fallback plus the UTF-8 form. */
const contentDisposition = (filename: string): string => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
};

export class S3FileStorage implements FileStorage {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  /**
   * Content-Type and Content-Length are signed (the presigner leaves Content-Type unsigned by default), so
   * the URL accepts only the declared type and exactly the declared size: the 20 MiB limit holds without a
   * POST policy, and a file's size is known before anything reads it.
   */
  async presignUpload(key: string, o: { contentType: string; sizeBytes: number; expiresInSeconds: number }): Promise<PresignedRequest> {
    const command = new PutObjectCommand({ Bucket: this.#bucket, Key: key, ContentType: o.contentType, ContentLength: o.sizeBytes });
    const url = await getSignedUrl(this.#client, command, {
      expiresIn: o.expiresInSeconds,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return { url, headers: { 'Content-Type': o.contentType }, expiresAt: new Date(Date.now() + o.expiresInSeconds * 1000) };
  }

  async presignDownload(key: string, o: { filename: string; contentType: string; expiresInSeconds: number }): Promise<PresignedRequest> {
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ResponseContentType: o.contentType,
      ResponseContentDisposition: contentDisposition(o.filename),
    });
    const url = await getSignedUrl(this.#client, command, { expiresIn: o.expiresInSeconds });
    return { url, headers: {}, expiresAt: new Date(Date.now() + o.expiresInSeconds * 1000) };
  }

  async sizeOf(key: string): Promise<number | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }
}
