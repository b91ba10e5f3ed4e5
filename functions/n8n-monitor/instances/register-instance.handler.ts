/**
 * Deploy hook: `{ tenantId?, name, baseUrl, apiKey }` registers that n8n for the tenant (default `default`), or
 * updates the instance of that name. Invoked by the stack's n8n deployment and by `npm start -- --with-n8n`;
 * answers the instance (never the key).
 */
import * as z from 'zod';
import { credentialsBox } from '#shared/sealed-secrets.ts';
import { DEFAULT_TENANT_ID } from '#shared/resources.ts';
import { taskHandler } from '#shared/task.ts';
import { instanceRepository } from '../n8n-monitor.composition.ts';
import { createInstanceBody } from '../n8n-monitor.contracts.ts';
import { registerInstance, type InstanceView } from './instance.service.ts';

const input = createInstanceBody.extend({ tenantId: z.string().min(1).max(200).default(DEFAULT_TENANT_ID) });

export const handler = taskHandler<unknown, InstanceView>(async (event) => {
  const parsed = input.parse(event);
  return registerInstance({ repo: await instanceRepository(), box: await credentialsBox() }, { ...parsed, createdBy: 'deploy' });
});
