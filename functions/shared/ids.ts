/**
 * Resource ids: a type prefix and 16 base64url characters (96 random bits), e.g. `agt_3kTMd9aQw0eR1xYz`.
 * One generator and one schema, so every id reads the same and every route validates it the same way.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';

export type IdPrefix =
  | 'agt'
  | 'fil'
  | 'exe'
  | 'key'
  | 'ten'
  | 'wsp'
  // n8n monitor: instances, alert rules, templates.
  | 'n8i'
  | 'n8a'
  | 'n8t'
  // protocols: remote MCP servers.
  | 'mcs';

export const newId = (prefix: IdPrefix): string => `${prefix}_${randomBytes(12).toString('base64url')}`;

/** Ids of this kind as path parameters or fields; a bad one is a 400 naming the field. */
export const idSchema = (prefix: IdPrefix, noun: string) => {
  const example = `${prefix}_3kTMd9aQw0eR1xYz`;
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9_-]{8,64}$`), `Expected ${noun} id like ${example}`)
    .meta({ example });
};

/**
 * Ids minted elsewhere (a JWT's `sub`, `apikey:<keyId>`, an id another system gave us) as path parameters
 * or fields: any visible characters except what changes a URL's meaning once the id is put back into one
 * (`/`, `\\`, `?`, `#`, `%`, whitespace, control characters) and the dot segments `.` and `..`, which
 * resolve to the parent resource (`/workspaces/w/members/..` is `/workspaces/w`). One regex, so the
 * OpenAPI pattern says exactly what the server checks.
 */
export const externalIdSchema = (noun: string, example: string) =>
  z
    .string()
    .min(1)
    .max(200)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
    .regex(/^(?!\.{1,2}$)[^\s/\\?#%\x00-\x1f\x7f]+$/, `Expected ${noun} (no spaces, slashes, ?, #, %, control characters; not . or ..)`)
    .meta({ example });
