import { httpHandler, ok } from '#shared/http.ts';
import { getFileRoute } from '../agents.manifest.ts';
import { files, fileStorage } from './files.composition.ts';
import { getFile } from './file.service.ts';

export const handler = httpHandler(getFileRoute, async ({ principal, params }) =>
  ok(await getFile(await files(), fileStorage(), principal, params.fileId)),
);
