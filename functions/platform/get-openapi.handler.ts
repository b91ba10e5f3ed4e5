/**
 * `GET /openapi.json`. The one function allowed to read the gathered manifest (functions/manifest.ts): the
 * document describes every domain's routes, generated from the same schemas that validate requests.
 */
import { flatManifest } from '#functions/manifest.ts';
import { httpHandler, ok } from '#shared/http.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { openApiRoute } from './platform.manifest.ts';

let document: ReturnType<typeof buildOpenApiDocument> | undefined;

/** Built on first use, then kept for the container's life: the manifest cannot change at run time. */
export const openApiDocument = (): ReturnType<typeof buildOpenApiDocument> =>
  (document ??= buildOpenApiDocument(flatManifest.functions, { title: 'Multimodal LLM Stack', version: '1.0.0' }));

export const handler = httpHandler(openApiRoute, () => ok(openApiDocument()));
