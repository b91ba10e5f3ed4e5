/** File use cases: register an upload (presigned PUT), then read it back (presigned GET). */
import { NotFoundError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';
import { DOWNLOAD_URL_TTL_SECONDS, UPLOAD_URL_TTL_SECONDS, type CreatedFileView, type CreateFileInput, type FileView } from '../agents.contracts.ts';
import { newId } from '#shared/ids.ts';
import { uploadKey, type FileRecord, type FileRepository, type FileStorage } from './file.ts';

export const createFile = async (
  files: FileRepository,
  storage: FileStorage,
  caller: Principal,
  input: CreateFileInput,
): Promise<CreatedFileView> => {
  const fileId = newId('fil');
  const key = uploadKey(caller.tenantId, fileId);
  // Sign first: a failure there leaves no orphan row behind.
  const upload = await storage.presignUpload(key, {
    contentType: input.contentType,
    sizeBytes: input.sizeBytes,
    expiresInSeconds: UPLOAD_URL_TTL_SECONDS,
  });
  const record = await files.insert({ fileId, tenantId: caller.tenantId, key, ...input, createdBy: caller.userId });
  return {
    fileId: record.fileId,
    filename: record.filename,
    contentType: record.contentType,
    sizeBytes: record.sizeBytes,
    status: record.status,
    createdAt: record.createdAt.toISOString(),
    uploadUrl: upload.url,
    uploadMethod: 'PUT',
    headers: upload.headers,
    expiresAt: upload.expiresAt.toISOString(),
  };
};

/**
 * S3 tells nobody when a presigned PUT lands, so a pending file is checked against storage when it is
 * next used and marked `uploaded` only with the declared size (which the signed Content-Length already
 * enforces on S3; emulators do not check signatures). Exported for other consumers of files (starting an
 * execution with images), so that a client need not read a file back before using it.
 */
export const confirmUpload = async (
  files: FileRepository,
  storage: FileStorage,
  tenantId: string,
  fileId: string,
): Promise<FileRecord | undefined> => {
  const record = await files.find(tenantId, fileId);
  if (!record || record.status === 'uploaded') return record;
  if ((await storage.sizeOf(record.key)) !== record.sizeBytes) return record;
  return (await files.markUploaded(tenantId, fileId)) ?? record;
};

export const getFile = async (files: FileRepository, storage: FileStorage, caller: Principal, fileId: string): Promise<FileView> => {
  const record = await confirmUpload(files, storage, caller.tenantId, fileId);
  if (!record) throw new NotFoundError(`No file ${fileId} in this tenant`);
  const download =
    record.status === 'uploaded'
      ? await storage.presignDownload(record.key, {
          filename: record.filename,
          contentType: record.contentType,
          expiresInSeconds: DOWNLOAD_URL_TTL_SECONDS,
        })
      : undefined;
  return {
    fileId: record.fileId,
    filename: record.filename,
    contentType: record.contentType,
    sizeBytes: record.sizeBytes,
    status: record.status,
    createdBy: record.createdBy,
    createdAt: record.createdAt.toISOString(),
    uploadedAt: record.uploadedAt?.toISOString() ?? null,
    downloadUrl: download?.url ?? null,
    downloadUrlExpiresAt: download?.expiresAt.toISOString() ?? null,
  };
};
