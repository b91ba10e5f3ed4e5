/** The realtime domain's adapters, built once per cold start by the handlers that need them. */
import { ChannelEventStore, type EventFanout } from '#shared/channel-events.ts';
import { createEventFanout } from '#functions/realtime/event-fanout.ts';
import { getPool, type Queryable } from '#shared/db.ts';
import { ChannelFanout, ManagementApiPoster } from './channel-fanout.ts';
import { ConnectionRepository } from './connection.repository.ts';
import { endSessionsOf as endSessions, type ApiKeyStatus } from './realtime.service.ts';
import { logger } from '#shared/observability.ts';
import type { ExecutionTenants } from './workspace.access.ts';
import { WorkspaceRepository } from './workspace.repository.ts';

const UNDEFINED_TABLE = '42P01';

/** Executions are the agents domain's; only their tenant matters here. */
export class PgExecutionTenants implements ExecutionTenants {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async tenantOf(executionId: string): Promise<string | undefined> {
    try {
      const { rows } = await this.#db.query<{ tenant_id: string }>('SELECT tenant_id FROM executions WHERE id = $1', [executionId]);
      return rows[0]?.tenant_id;
    } catch (error) {
      // A deployment without the agents domain has no executions: nothing to watch.
      if ((error as { code?: string }).code === UNDEFINED_TABLE) return undefined;
      throw error;
    }
  }
}

/** The platform's `api_keys`, read by primary key: is the key of a connection still live? */
export class PgApiKeyStatus implements ApiKeyStatus {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async isActive(tenantId: string, keyId: string): Promise<boolean> {
    const { rows } = await this.#db.query('SELECT 1 FROM api_keys WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL', [keyId, tenantId]);
    return rows.length > 0;
  }
}

let connectionRepo: ConnectionRepository | undefined;
let framePoster: ManagementApiPoster | undefined;
let channelFanout: ChannelFanout | undefined;
let eventFanout: EventFanout | undefined;

export const connections = (): ConnectionRepository => (connectionRepo ??= ConnectionRepository.fromEnv());
export const poster = (): ManagementApiPoster => (framePoster ??= ManagementApiPoster.fromEnv());
/** Presence frames and replies go straight to connections (nothing stored). */
export const fanout = (): ChannelFanout => (channelFanout ??= new ChannelFanout(connections(), poster()));

export const workspaces = async (): Promise<WorkspaceRepository> => new WorkspaceRepository(await getPool());
/** Only connections opened with an API key need it, so JWT connections never open a database connection for it. */
export const apiKeyStatus = async (): Promise<ApiKeyStatus> => new PgApiKeyStatus(await getPool());
export const executionTenants = async (): Promise<ExecutionTenants> => new PgExecutionTenants(await getPool());
/** Publishing stores, then fans out with the same port the agents use (push failures logged, not thrown). */
export const channelEvents = async (): Promise<ChannelEventStore> => new ChannelEventStore(await getPool(), (eventFanout ??= createEventFanout()));

/**
 * For other domains (the platform's key revocation): ends `userId`'s live connections in `tenantId` at once.
 * Never throws: a connection that cannot be reached or cleaned up is logged and left to the next action's
 * credential check, the TTL, or `$disconnect`.
 */
export const endSessionsOf = async (tenantId: string, userId: string): Promise<void> => {
  try {
    const send = (connectionId: string, text: string) => poster().post(connectionId, text);
    const { ended, failed } = await endSessions({ subscriptions: connections(), fanout: fanout(), send, close: (id) => poster().close(id) }, tenantId, userId);
    if (ended > 0) logger.info('Ended the connections of a revoked credential', { userId, ended });
    for (const { connectionId, error } of failed) logger.warn('Could not end a connection', { userId, connectionId, error: error as Error });
  } catch (error) {
    logger.warn('Could not end the connections of a revoked credential', { userId, error: error as Error });
  }
};
