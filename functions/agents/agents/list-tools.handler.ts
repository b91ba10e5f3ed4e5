import { httpHandler, ok } from '#shared/http.ts';
import { listToolsRoute } from '../agents.routes.ts';
import { toolList } from './tool-catalog.adapters.ts';

export const handler = httpHandler(listToolsRoute, () => ok({ items: toolList() }));
