import { created, httpHandler } from '#shared/http.ts';
import { createFileRoute } from '../agents.manifest.ts';
import { files, fileStorage } from './files.composition.ts';
import { createFile } from './file.service.ts';

export const handler = httpHandler(createFileRoute, async ({ principal, body }) =>
  created(await createFile(await files(), fileStorage(), principal, body)),
);
