/**
 * The OpenAPI 3.1 document, generated from the route manifest and the same zod schemas that validate
 * requests: every HTTP route, both credentials (bearer JWT, x-api-key), and problem+json error responses.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import type { FunctionSpec, HttpRoute } from '#shared/manifest.types.ts';

const problemSchema = z
  .object({
    type: z.string().meta({ example: '/problems/validation' }),
    title: z.string().meta({ example: 'Invalid request' }),
    status: z.number().int().meta({ example: 400 }),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string().meta({ example: 'body.name' }), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

const errorResponses = (route: HttpRoute): RouteConfig['responses'] => {
  const hasInput = Boolean(route.request?.body || route.request?.query || route.request?.params || route.request?.headers);
  return {
    ...(hasInput || route.method !== 'GET' ? { 400: problem('Invalid request: each bad field is named in `errors`') } : {}),
    ...(route.auth === 'none' ? {} : { 401: problem('Missing or invalid credentials') }),
    ...(route.roles ? { 403: problem(`Needs one of the roles: ${route.roles.join(', ')}`) } : {}),
    ...(route.request?.params ? { 404: problem('No such resource in your tenant') } : {}),
    ...(route.request?.body ? { 413: problem('Body larger than 256 KiB'), 415: problem('Body is not JSON') } : {}),
    ...(route.auth === 'none' ? {} : { 429: problem("Over the tenant's (or this route's) requests per minute; see Retry-After") }),
    500: problem('Unexpected error'),
  };
};

const operationId = (fn: FunctionSpec, route: HttpRoute, index: number): string => {
  const base = fn.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return index === 0 ? base : `${base}${route.method[0]}${route.method.slice(1).toLowerCase()}${index}`;
};

export const buildOpenApiDocument = (functions: FunctionSpec[], info: { title: string; version: string; serverUrl?: string | undefined }) => {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerJwt', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A JWT (HS256 platform token or OIDC). An API key is also accepted as the bearer token.',
  });
  const apiKey = registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-api-key' });

  for (const fn of functions) {
    (fn.http ?? []).forEach((route, index) => {
      const responses: RouteConfig['responses'] = {};
      for (const [status, r] of Object.entries(route.responses ?? { 200: { description: 'OK' } })) {
        responses[status] = r.schema
          ? { description: r.description, content: { 'application/json': { schema: r.schema } } }
          : { description: r.description };
      }
      registry.registerPath({
        method: route.method.toLowerCase() as RouteConfig['method'],
        path: route.path,
        operationId: operationId(fn, route, index),
        summary: route.summary,
        tags: route.tags ?? [fn.domain],
        security: route.auth === 'none' ? [] : [{ [bearer.name]: [] }, { [apiKey.name]: [] }],
        request: {
          ...(route.request?.params ? { params: route.request.params as z.ZodObject } : {}),
          ...(route.request?.query ? { query: route.request.query as z.ZodObject } : {}),
          ...(route.request?.headers ? { headers: route.request.headers as z.ZodObject } : {}),
          ...(route.request?.body ? { body: { required: true, content: { 'application/json': { schema: route.request.body } } } } : {}),
        },
        responses: { ...responses, ...errorResponses(route) },
      });
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: 'Multimodal LLM Stack REST API' },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
  });
};
