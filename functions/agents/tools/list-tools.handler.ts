import { httpHandler, ok } from '#shared/http.ts';
import { listToolsRoute } from '../agents.manifest.ts';
import { toolList } from './tools.composition.ts';

export const handler = httpHandler(listToolsRoute, () => ok({ items: toolList() }));
