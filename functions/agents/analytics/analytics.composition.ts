/** Analytics wired to PostgreSQL, built once per cold start. */
import { getPool } from '#shared/db.ts';
import { agents } from '../definitions/definitions.composition.ts';
import { PgAnalyticsRepository } from './analytics.repository.ts';
import type { AnalyticsRepository } from './analytics.ts';

export { agents };
export const analytics = async (): Promise<AnalyticsRepository> => new PgAnalyticsRepository(await getPool());
