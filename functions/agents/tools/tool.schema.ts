/**
 * A tool's zod schema as the JSON Schema both providers accept for tool arguments (OpenAI `parameters`,
 * Anthropic `input_schema`): draft 2020-12, an object at the root with `properties`/`required`.
 */
import * as z from 'zod';
import type { JsonSchema } from '../models/model.types.ts';

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Drops what zod adds that is noise to a model: `$schema` (some OpenAI-compatible servers reject unknown
 * root keywords) and the ±2^53 bounds `z.int()` carries (they cost prompt tokens and say nothing).
 */
const tidy = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if ((key === 'minimum' && value === -SAFE_MAX) || (key === 'maximum' && value === SAFE_MAX)) continue;
    out[key] = tidy(value);
  }
  return out;
};

/**
 * `io: 'input'` describes what the model may send: fields with defaults are optional. Throws for a schema no
 * provider takes (a bug in the tool, caught when the catalog is built): Anthropic rejects a root that is not
 * a plain object (`anyOf`/`oneOf`/`allOf` at the root), OpenAI one whose `type` is not `object`.
 */
export const toModelSchema = (schema: z.ZodObject): JsonSchema => {
  const json = tidy(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' })) as Record<string, unknown>;
  if (json.type !== 'object' || 'anyOf' in json || 'oneOf' in json || 'allOf' in json) {
    throw new TypeError('a tool input schema must be a plain object schema at the root');
  }
  return { ...json, type: 'object', properties: json.properties ?? {} };
};
