/** Uploaded files: records and the storage port the file use cases need. */
import type { FileContentType } from '../agents.contracts.ts';

export interface FileRecord {
  fileId: string;
  tenantId: string;
  key: string;
  filename: string;
  contentType: FileContentType;
  /** Declared at registration; the stored object must have exactly this size to count as uploaded. */
  sizeBytes: number;
  status: 'pending' | 'uploaded';
  createdBy: string | null;
  createdAt: Date;
  uploadedAt: Date | null;
}

export type FileInsert = Pick<FileRecord, 'fileId' | 'tenantId' | 'key' | 'filename' | 'contentType' | 'sizeBytes' | 'createdBy'>;

/** The storage port of file records (PostgreSQL in file.repository.ts). */
export interface FileRepository {
  insert(f: FileInsert): Promise<FileRecord>;
  find(tenantId: string, fileId: string): Promise<FileRecord | undefined>;
  /** Marks a pending file uploaded; undefined when there is no such file. */
  markUploaded(tenantId: string, fileId: string): Promise<FileRecord | undefined>;
}

/** Every tenant's uploads live under its own prefix; the file tools' prefix (`files/`) is separate. */
export const uploadKey = (tenantId: string, fileId: string): string => `tenants/${tenantId}/uploads/${fileId}`;

export interface PresignedRequest {
  url: string;
  /** Headers the client must send as they are (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: Date;
}

/** Object storage as the file use cases see it (S3 in production, s3rver locally). */
export interface FileStorage {
  presignUpload(key: string, options: { contentType: string; sizeBytes: number; expiresInSeconds: number }): Promise<PresignedRequest>;
  presignDownload(key: string, options: { filename: string; contentType: string; expiresInSeconds: number }): Promise<PresignedRequest>;
  /** The stored object's size, or undefined when there is no object (yet). */
  sizeOf(key: string): Promise<number | undefined>;
}
