/** `mls whoami [--json]`: the principal the configured credentials stand for (`GET /v1/me`). */
import { apiFetch, connectionFlags, resolveConnection } from '../connection.ts';

export const run = async (args: string[]): Promise<number> => {
  const { url, key, rest } = connectionFlags(args);
  const connection = resolveConnection({ url, key });
  const response = await apiFetch(connection, '/v1/me');
  const body = (await response.json().catch(() => undefined)) as
    | { userId?: string; tenantId?: string; roles?: string[]; detail?: string }
    | undefined;
  if (!response.ok) {
    process.stderr.write(`mls whoami: ${response.status} ${body?.detail ?? response.statusText} (${connection.restUrl})\n`);
    return 1;
  }
  if (rest.includes('--json')) process.stdout.write(`${JSON.stringify(body)}\n`);
  else process.stdout.write(`${body?.userId} in tenant ${body?.tenantId} (${(body?.roles ?? []).join(', ')}) at ${connection.restUrl}\n`);
  return 0;
};
