/** Instance use cases over REST. Tenancy comes from the caller's principal, never from input. */
import * as z from 'zod';
import { NotFoundError, UnprocessableContentError } from '#shared/errors.ts';
import { newId } from '#shared/ids.ts';
import { cursorId, cursorTimestamp, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import type { SecretBox } from '#shared/sealed-secrets.ts';
import { N8nError, type N8nApiFactory } from '../n8n/n8n-api.ts';
import type { InstanceRecord, InstanceRepository } from './instance.ts';

export interface InstanceView {
  instanceId: string;
  name: string;
  baseUrl: string;
  status: 'ok' | 'error' | 'pending';
  lastSyncAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface InstancePorts {
  repo: InstanceRepository;
  box: SecretBox;
  api: N8nApiFactory;
}

/** What the sealed key is bound to: a copy in another row or tenant does not open. */
export const keyContext = (tenantId: string, instanceId: string): string => `n8n-instance:${tenantId}:${instanceId}`;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const toInstanceView = (r: InstanceRecord): InstanceView => ({
  instanceId: r.instanceId,
  name: r.name,
  baseUrl: r.baseUrl,
  status: r.lastSyncAt === null ? 'pending' : r.consecutiveFailures > 0 ? 'error' : 'ok',
  lastSyncAt: iso(r.lastSyncAt),
  lastSuccessAt: iso(r.lastSuccessAt),
  lastError: r.lastError,
  consecutiveFailures: r.consecutiveFailures,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** Asks n8n for one workflow with the given URL and key: a wrong URL or key is a 422 with n8n's reason. */
export const checkConnection = async (api: N8nApiFactory, baseUrl: string, apiKey: string): Promise<void> => {
  try {
    await api({ baseUrl, apiKey }).listWorkflows({ limit: 1 });
  } catch (error) {
    if (!(error instanceof N8nError)) throw error;
    const field = error.kind === 'unauthorized' ? 'body.apiKey' : 'body.baseUrl';
    throw new UnprocessableContentError(`n8n did not accept the connection: ${error.message}`, [{ path: field, message: error.message }]);
  }
};

export const requireInstance = async (repo: InstanceRepository, tenantId: string, instanceId: string): Promise<InstanceRecord> => {
  const found = await repo.find(tenantId, instanceId);
  if (!found) throw new NotFoundError(`No n8n instance ${instanceId}`);
  return found;
};

/** A new instance with its key sealed to the tenant and the instance id (the id is the key's context). */
const insertInstance = async (
  ports: Pick<InstancePorts, 'repo' | 'box'>,
  input: { tenantId: string; name: string; baseUrl: string; apiKey: string; createdBy: string },
): Promise<InstanceView> => {
  const instanceId = newId('n8i');
  const record = await ports.repo.create({
    instanceId,
    tenantId: input.tenantId,
    name: input.name,
    baseUrl: input.baseUrl,
    apiKeySealed: ports.box.seal(input.apiKey, keyContext(input.tenantId, instanceId)),
    createdBy: input.createdBy,
  });
  return toInstanceView(record);
};

export const createInstance = async (
  ports: InstancePorts,
  caller: Principal,
  input: { name: string; baseUrl: string; apiKey: string },
): Promise<InstanceView> => {
  await checkConnection(ports.api, input.baseUrl, input.apiKey);
  return insertInstance(ports, { ...input, tenantId: caller.tenantId, createdBy: caller.userId });
};

const position = z.object({ at: cursorTimestamp, id: cursorId });

export const listInstances = async (
  repo: InstanceRepository,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<InstanceView>> => {
  const rows = await repo.list(caller.tenantId, query.limit, decodeCursor(query.cursor, position));
  return toPage(rows, query.limit, toInstanceView, (r) => ({ at: r.createdAt.toISOString(), id: r.instanceId }));
};

export const getInstance = async (repo: InstanceRepository, caller: Principal, instanceId: string): Promise<InstanceView> =>
  toInstanceView(await requireInstance(repo, caller.tenantId, instanceId));

export const updateInstance = async (
  ports: InstancePorts,
  caller: Principal,
  instanceId: string,
  input: { name?: string | undefined; baseUrl?: string | undefined; apiKey?: string | undefined },
): Promise<InstanceView> => {
  const current = await requireInstance(ports.repo, caller.tenantId, instanceId);
  const connectionChanged = input.baseUrl !== undefined || input.apiKey !== undefined;
  if (connectionChanged) {
    const apiKey = input.apiKey ?? ports.box.open(current.apiKeySealed, keyContext(caller.tenantId, instanceId));
    await checkConnection(ports.api, input.baseUrl ?? current.baseUrl, apiKey);
  }
  const updated = await ports.repo.update(caller.tenantId, instanceId, {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.baseUrl !== undefined ? { baseUrl: input.baseUrl } : {}),
    ...(input.apiKey !== undefined ? { apiKeySealed: ports.box.seal(input.apiKey, keyContext(caller.tenantId, instanceId)) } : {}),
  });
  if (!updated) throw new NotFoundError(`No n8n instance ${instanceId}`);
  // Another n8n behind the same registration: its execution ids mean nothing against the old high-water mark.
  if (input.baseUrl !== undefined && input.baseUrl !== current.baseUrl) await ports.repo.resetSync(instanceId);
  return toInstanceView((await ports.repo.find(caller.tenantId, instanceId)) ?? updated);
};

export const deleteInstance = async (repo: InstanceRepository, caller: Principal, instanceId: string): Promise<void> => {
  if (!(await repo.delete(caller.tenantId, instanceId))) throw new NotFoundError(`No n8n instance ${instanceId}`);
};

/**
 * The deploy hook (part of `cdk deploy` or `npm start -- --with-n8n`): registers the stack's own n8n for a
 * tenant, or updates the one of that name. The connection is not checked (n8n may still be starting); the
 * first poll records whether it answers.
 */
export const registerInstance = async (
  ports: Pick<InstancePorts, 'repo' | 'box'>,
  input: { tenantId: string; name: string; baseUrl: string; apiKey: string; createdBy: string },
): Promise<InstanceView> => {
  const existing = (await ports.repo.list(input.tenantId, 1000)).find((r) => r.name === input.name);
  if (existing) {
    const updated = await ports.repo.update(input.tenantId, existing.instanceId, {
      baseUrl: input.baseUrl,
      apiKeySealed: ports.box.seal(input.apiKey, keyContext(input.tenantId, existing.instanceId)),
    });
    if (existing.baseUrl !== input.baseUrl) await ports.repo.resetSync(existing.instanceId);
    return toInstanceView(updated!);
  }
  return insertInstance(ports, input);
};
