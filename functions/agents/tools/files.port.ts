/**
 * The storage the file tools need, in key terms. The S3 adapter (`s3-files.adapter.ts`) fills it in; the
 * tools decide which keys a tenant may touch (`file.tools.ts`), the port only moves bytes.
 */

export interface StoredFile {
  content: Uint8Array;
  size: number;
  contentType: string | undefined;
  lastModified: Date | undefined;
}

export interface FileEntry {
  key: string;
  size: number;
  lastModified: Date | undefined;
}

export interface FileListing {
  items: FileEntry[];
  /** Opaque; pass back as `cursor` for the next page. */
  nextCursor: string | undefined;
}

export interface FilesPort {
  /**
   * The object's bytes, or `undefined` when there is no such key. An object bigger than `maxBytes` is not
   * downloaded: the call throws `ToolTooLargeError`.
   */
  read(key: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<StoredFile | undefined>;
  write(key: string, content: Uint8Array, options: { contentType: string; signal?: AbortSignal }): Promise<void>;
  list(prefix: string, options: { limit: number; cursor?: string; signal?: AbortSignal }): Promise<FileListing>;
}
