/** PostgreSQL access to `workspaces` and `workspace_members`. Every query is scoped by tenant. */
import type { Queryable } from '#shared/db.ts';
import { ConflictError, NotFoundError } from '#shared/errors.ts';
import type { WorkspaceRole } from './realtime.contracts.ts';
import type { KeysetPosition, MemberRecord, WorkspaceRecord, WorkspaceRepository } from './workspace.ts';

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

const workspaceColumns = `w.id AS "workspaceId", w.tenant_id AS "tenantId", w.name, w.created_by AS "createdBy",
  w.created_at AS "createdAt", w.updated_at AS "updatedAt", m.role`;
const memberColumns = `user_id AS "userId", role, added_by AS "addedBy", added_at AS "addedAt"`;

export class PgWorkspaceRepository implements WorkspaceRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Creates the workspace with its creator as owner, in one statement (no transaction needed). */
  async create(input: { workspaceId: string; tenantId: string; name: string; createdBy: string }): Promise<WorkspaceRecord> {
    try {
      const { rows } = await this.#db.query<WorkspaceRecord>(
        `WITH w AS (
           INSERT INTO workspaces (id, tenant_id, name, created_by) VALUES ($1, $2, $3, $4) RETURNING *
         ), m AS (
           INSERT INTO workspace_members (workspace_id, user_id, role, added_by) SELECT id, $4, 'owner', $4 FROM w RETURNING role
         )
         SELECT ${workspaceColumns} FROM w, m`,
        [input.workspaceId, input.tenantId, input.name, input.createdBy],
      );
      return rows[0]!;
    } catch (error) {
      // A JWT can name a tenant that was never created.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`Tenant ${input.tenantId} does not exist`);
      throw error;
    }
  }

  /** The tenant's workspace with `userId`'s role in it (null role: not a member), or undefined. */
  async find(tenantId: string, workspaceId: string, userId: string): Promise<WorkspaceRecord | undefined> {
    const { rows } = await this.#db.query<WorkspaceRecord>(
      `SELECT ${workspaceColumns} FROM workspaces w
         LEFT JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $3
        WHERE w.id = $1 AND w.tenant_id = $2`,
      [workspaceId, tenantId, userId],
    );
    return rows[0];
  }

  /** Oldest first; `allOfTenant` lists every workspace of the tenant, else only `userId`'s. */
  async list(tenantId: string, userId: string, allOfTenant: boolean, limit: number, after?: KeysetPosition): Promise<WorkspaceRecord[]> {
    const { rows } = await this.#db.query<WorkspaceRecord>(
      `SELECT ${workspaceColumns} FROM workspaces w
         ${allOfTenant ? 'LEFT' : ''} JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $2
        WHERE w.tenant_id = $1 AND ($3::timestamptz IS NULL OR (w.created_at, w.id) > ($3::timestamptz, $4::text))
        ORDER BY w.created_at, w.id LIMIT $5`,
      [tenantId, userId, after?.at ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  async rename(tenantId: string, workspaceId: string, name: string): Promise<void> {
    await this.#db.query(
      `UPDATE workspaces SET name = $3, updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1 AND tenant_id = $2`,
      [workspaceId, tenantId, name],
    );
  }

  /** Deletes the workspace, its members (cascade) and its channel's event log. */
  async delete(tenantId: string, workspaceId: string, channel: string): Promise<void> {
    await this.#db.query(
      `WITH w AS (DELETE FROM workspaces WHERE id = $1 AND tenant_id = $2 RETURNING id),
            e AS (DELETE FROM channel_events WHERE channel = $3 AND tenant_id = $2 AND EXISTS (SELECT 1 FROM w))
       DELETE FROM channel_heads WHERE channel = $3 AND EXISTS (SELECT 1 FROM w)`,
      [workspaceId, tenantId, channel],
    );
  }

  async addMember(workspaceId: string, member: { userId: string; role: WorkspaceRole; addedBy: string }): Promise<MemberRecord> {
    try {
      const { rows } = await this.#db.query<MemberRecord>(
        `INSERT INTO workspace_members (workspace_id, user_id, role, added_by) VALUES ($1, $2, $3, $4) RETURNING ${memberColumns}`,
        [workspaceId, member.userId, member.role, member.addedBy],
      );
      return rows[0]!;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictError(`${member.userId} is already a member`);
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`No workspace ${workspaceId}`);
      throw error;
    }
  }

  async listMembers(workspaceId: string, limit: number, after?: KeysetPosition): Promise<MemberRecord[]> {
    const { rows } = await this.#db.query<MemberRecord>(
      `SELECT ${memberColumns} FROM workspace_members
        WHERE workspace_id = $1 AND ($2::timestamptz IS NULL OR (added_at, user_id) > ($2::timestamptz, $3::text))
        ORDER BY added_at, user_id LIMIT $4`,
      [workspaceId, after?.at ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  /**
   * Removes a member unless that would leave the workspace without an owner. One statement on one
   * snapshot: two owners removing each other at the same instant could both succeed; tenant admins can
   * still manage an ownerless workspace, so that rare race is recoverable and not worth a lock.
   */
  async removeMember(workspaceId: string, userId: string): Promise<'removed' | 'absent' | 'last-owner'> {
    const { rows } = await this.#db.query<{ outcome: 'removed' | 'absent' | 'last-owner' }>(
      `WITH target AS (SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2),
            owners AS (SELECT count(*) AS n FROM workspace_members WHERE workspace_id = $1 AND role = 'owner'),
            del AS (
              DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2
                AND NOT ((SELECT role FROM target) = 'owner' AND (SELECT n FROM owners) <= 1)
              RETURNING 1
            )
       SELECT CASE WHEN EXISTS (SELECT 1 FROM del) THEN 'removed'
                   WHEN NOT EXISTS (SELECT 1 FROM target) THEN 'absent'
                   ELSE 'last-owner' END AS outcome`,
      [workspaceId, userId],
    );
    return rows[0]!.outcome;
  }
}
