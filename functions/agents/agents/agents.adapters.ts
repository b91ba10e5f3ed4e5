/**
 * Repositories on the shared pool, built once per cold start. Storage and the tool catalog sit in their own
 * adapter modules so that a handler's bundle carries only the SDK clients it uses.
 */
import { getPool, withTransaction } from '#shared/db.ts';
import { AgentRepository } from './agent.repository.ts';
import type { InTransaction } from './agent.service.ts';
import { AnalyticsRepository } from './analytics.repository.ts';
import { FileRepository } from './file.repository.ts';

export const agents = async (): Promise<AgentRepository> => new AgentRepository(await getPool());
export const files = async (): Promise<FileRepository> => new FileRepository(await getPool());
export const analytics = async (): Promise<AnalyticsRepository> => new AnalyticsRepository(await getPool());

export const inTransaction: InTransaction = (fn) => withTransaction((client) => fn(new AgentRepository(client)));
