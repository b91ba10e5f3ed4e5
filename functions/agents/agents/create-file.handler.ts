import { created, httpHandler } from '#shared/http.ts';
import { createFileRoute } from '../agents.routes.ts';
import { files } from './agents.adapters.ts';
import { fileStorage } from './file-storage.adapters.ts';
import { createFile } from './file.service.ts';

export const handler = httpHandler(createFileRoute, async ({ principal, body }) => created(await createFile(await files(), fileStorage(), principal, body)));
