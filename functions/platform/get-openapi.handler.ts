import { functions } from '#lib/routes.ts';
import { httpHandler, ok } from '#shared/http.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { openApiRoute } from './platform.routes.ts';

let document: ReturnType<typeof buildOpenApiDocument> | undefined;

export const handler = httpHandler(openApiRoute, () => {
  // Built on first request, then kept for the container's life: the manifest cannot change at run time.
  document ??= buildOpenApiDocument(functions, { title: 'Multimodal LLM Stack', version: '1.0.0' });
  return ok(document);
});
