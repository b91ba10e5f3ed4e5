/**
 * The API's base URL as the client called it, for documents that must name it absolutely (RFC 9728's
 * `resource`). On an execute-api host the stage is the first path segment; a custom domain (or the local
 * runtime) serves the API at its root.
 */
import { headerOf, type Headers } from '#shared/headers.ts';

const EXECUTE_API_HOST = /\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/i;

export const publicBaseUrl = (headers: Headers, stage: string | undefined): string => {
  const host = headerOf(headers, 'host') ?? 'localhost';
  const proto = headerOf(headers, 'x-forwarded-proto')?.split(',')[0]?.trim() || 'https';
  const prefix = EXECUTE_API_HOST.test(host) && stage ? `/${stage}` : '';
  return `${proto}://${host}${prefix}`;
};
