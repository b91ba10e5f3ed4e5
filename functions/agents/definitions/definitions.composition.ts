/** Agent definitions wired to PostgreSQL (the shared pool), built once per cold start by the handlers that need them. */
import { getPool, withTransaction } from '#shared/db.ts';
import { PgAgentRepository } from './agent.repository.ts';
import type { AgentRepository } from './agent.ts';
import type { InTransaction } from './agent.service.ts';

export const agents = async (): Promise<AgentRepository> => new PgAgentRepository(await getPool());

export const inTransaction: InTransaction = (fn) => withTransaction((client) => fn(new PgAgentRepository(client)));
