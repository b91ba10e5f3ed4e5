import { httpHandler, ok } from '#shared/http.ts';
import { getFileRoute } from '../agents.routes.ts';
import { files } from './agents.adapters.ts';
import { fileStorage } from './file-storage.adapters.ts';
import { getFile } from './file.service.ts';

export const handler = httpHandler(getFileRoute, async ({ principal, params }) => ok(await getFile(await files(), fileStorage(), principal, params.fileId)));
