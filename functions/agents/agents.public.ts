/**
 * The agents domain's public surface: what other domains may import from it, and nothing else.
 * - `executionChannel()`: the `execution:<id>` channel kind, for realtime's channel registry.
 */
import type { ChannelKind } from '#shared/channels.ts';
import { getPool } from '#shared/db.ts';
import { executionChannelKind } from './executions/execution-channel.ts';
import { PgExecutionRepository } from './executions/execution.repository.ts';

/** The execution channel kind with its subscribe check against this domain's store (the shared pool). */
export const executionChannel = (): ChannelKind => executionChannelKind(async () => new PgExecutionRepository(await getPool()));
