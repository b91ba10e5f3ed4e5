/**
 * The files port on S3. The client is built from the standard environment (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_S3`, `AWS_REQUEST_CHECKSUM_CALCULATION`, ...) like every other SDK client, plus
 * `S3_FORCE_PATH_STYLE=true`, which emulators (s3rver, LocalStack) need and the SDK has no variable for.
 */
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { FileListing, FilesPort, StoredFile } from './files.port.ts';
import { ToolTooLargeError } from './tool.errors.ts';

const isMissing = (error: unknown): boolean =>
  error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);

export class S3FilesPort implements FilesPort {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  async read(key: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<StoredFile | undefined> {
    let response: GetObjectCommandOutput;
    try {
      response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }), { abortSignal: options.signal });
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const size = response.ContentLength ?? 0;
    if (size > options.maxBytes || !response.Body) {
      // Not reading the body: close the connection instead of downloading what we would throw away.
      (response.Body as Readable | undefined)?.destroy?.();
      if (size > options.maxBytes) throw new ToolTooLargeError(`The file is ${size} bytes; at most ${options.maxBytes} bytes can be read.`);
    }
    const content = response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
    return { content, size: content.byteLength, contentType: response.ContentType, lastModified: response.LastModified };
  }

  async write(key: string, content: Uint8Array, options: { contentType: string; signal?: AbortSignal }): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: content, ContentType: options.contentType, ContentLength: content.byteLength }),
      { abortSignal: options.signal },
    );
  }

  /**
   * ListObjects (v1) with `Marker`, not v2: s3rver builds v2 continuation tokens with DES, which Node 24's
   * OpenSSL 3 no longer has, so every truncated v2 listing fails locally. v1 with the last key as marker
   * pages the same way on S3, LocalStack and s3rver. The cursor is that key, base64url-encoded; a forged one
   * only moves the start point, since `Prefix` still confines the listing.
   */
  async list(prefix: string, options: { limit: number; cursor?: string; signal?: AbortSignal }): Promise<FileListing> {
    const marker = options.cursor ? Buffer.from(options.cursor, 'base64url').toString('utf8') : undefined;
    const response = await this.#client.send(
      new ListObjectsCommand({ Bucket: this.#bucket, Prefix: prefix, MaxKeys: options.limit, Marker: marker }),
      { abortSignal: options.signal },
    );
    const items = (response.Contents ?? []).flatMap((object) =>
      object.Key ? [{ key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified }] : [],
    );
    const last = items.at(-1);
    return { items, nextCursor: response.IsTruncated && last ? Buffer.from(last.key, 'utf8').toString('base64url') : undefined };
  }
}
