/** PostgreSQL access to `files`. */
import type { Queryable } from '#shared/db.ts';
import { NotFoundError } from '#shared/errors.ts';
import type { FileInsert, FileRecord, FileRepository } from './file.ts';

// bigint arrives as a string from pg; sizes are capped far below 2^53, so ::float8 -> number is exact.
const columns = `id AS "fileId", tenant_id AS "tenantId", key, filename, content_type AS "contentType",
  size_bytes::float8 AS "sizeBytes", status, created_by AS "createdBy", created_at AS "createdAt", uploaded_at AS "uploadedAt"`;

const FOREIGN_KEY_VIOLATION = '23503';

export class PgFileRepository implements FileRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async insert(f: FileInsert): Promise<FileRecord> {
    try {
      const { rows } = await this.#db.query<FileRecord>(
        `INSERT INTO files (id, tenant_id, key, filename, content_type, size_bytes, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
        [f.fileId, f.tenantId, f.key, f.filename, f.contentType, f.sizeBytes, f.createdBy],
      );
      return rows[0]!;
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`Tenant ${f.tenantId} does not exist`);
      throw error;
    }
  }

  async find(tenantId: string, fileId: string): Promise<FileRecord | undefined> {
    const { rows } = await this.#db.query<FileRecord>(`SELECT ${columns} FROM files WHERE id = $1 AND tenant_id = $2`, [fileId, tenantId]);
    return rows[0];
  }

  async markUploaded(tenantId: string, fileId: string): Promise<FileRecord | undefined> {
    const { rows } = await this.#db.query<FileRecord>(
      `UPDATE files SET status = 'uploaded', uploaded_at = COALESCE(uploaded_at, date_trunc('milliseconds', clock_timestamp()))
        WHERE id = $1 AND tenant_id = $2 RETURNING ${columns}`,
      [fileId, tenantId],
    );
    return rows[0];
  }
}
