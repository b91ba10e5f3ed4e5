/**
 * fast-check arbitraries from the JSON Schemas of the OpenAPI document: values a route should accept, the
 * starting point every hostile mutation (hostile.ts) departs from, so that fuzzing gets past the first
 * check and reaches the code behind it. Covers what zod-to-openapi emits (objects, arrays, strings with
 * length, pattern and format, numbers with bounds, enums, consts, nullable types, unions, $ref).
 */
import fc from 'fast-check';

export type JsonSchema = Record<string, unknown>;

export interface SchemaContext {
  /** `#/components/schemas/...` (OpenAPI) and `#/$defs/...` (zod's JSON Schema) targets, by name. */
  components: Record<string, JsonSchema>;
}

const resolve = (schema: JsonSchema, ctx: SchemaContext): JsonSchema => {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace(/^#\/(components\/schemas|\$defs)\//, '');
  const target = ctx.components[name];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  return resolve(target, ctx);
};

const stringArbitrary = (s: JsonSchema): fc.Arbitrary<string> => {
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
  const maxLength = Math.min(typeof s.maxLength === 'number' ? s.maxLength : 40, Math.max(minLength, 40));
  if (typeof s.pattern === 'string') {
    const full = new RegExp(s.pattern);
    const fits = (v: string) => full.test(v) && v.length >= minLength && v.length <= (typeof s.maxLength === 'number' ? s.maxLength : Infinity);
    // fast-check generates from a regex but knows no lookarounds: generate from the pattern without them,
    // keep what the whole pattern accepts.
    const generator = s.pattern.replace(/\(\?<?[=!](?:[^()\\]|\\.)*\)/g, '');
    return fc.stringMatching(new RegExp(generator)).filter(fits);
  }
  switch (s.format) {
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'uri':
    case 'url':
      return fc.webUrl();
    case 'email':
      return fc.emailAddress();
    case 'uuid':
      return fc.uuid();
    default:
      // Printable text: the valid side of the boundary; control characters are the hostile side's job.
      return fc
        .string({ minLength: Math.max(minLength, s.minLength === undefined ? 0 : 1), maxLength, unit: 'grapheme-ascii' })
        .filter((v) => v.trim().length >= minLength);
  }
};

const numberArbitrary = (s: JsonSchema, integer: boolean): fc.Arbitrary<number> => {
  const min =
    typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + (integer ? 1 : Number.EPSILON) : -1000;
  const max =
    typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - (integer ? 1 : Number.EPSILON) : 1000;
  return integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
};

/** A value valid against `schema` (as far as the schema says: cross-field rules are the handler's). */
export const validValue = (schema: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<unknown> => {
  const s = resolve(schema, ctx);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return fc.oneof(...union.map((u) => validValue(u, ctx, depth + 1)));
  if (Array.isArray(s.allOf)) return validValue(Object.assign({}, ...(s.allOf as JsonSchema[]).map((p) => resolve(p, ctx))), ctx, depth);
  const types = (Array.isArray(s.type) ? s.type : [s.type]) as Array<string | undefined>;
  const options = types.map((type): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'string':
        return stringArbitrary(s);
      case 'integer':
        return numberArbitrary(s, true);
      case 'number':
        return numberArbitrary(s, false);
      case 'boolean':
        return fc.boolean();
      case 'array': {
        const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
        const maxLength = Math.min(typeof s.maxItems === 'number' ? s.maxItems : 3, minLength + 3);
        if (depth > 6) return fc.constant([]);
        return fc.array(validValue((s.items as JsonSchema) ?? {}, ctx, depth + 1), { minLength, maxLength });
      }
      case 'object': {
        const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
        const required = new Set((s.required ?? []) as string[]);
        if (depth > 6) return fc.constant({});
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, prop] of Object.entries(properties)) record[name] = validValue(prop, ctx, depth + 1);
        return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
      }
      default:
        // No type: anything JSON.
        return fc.jsonValue({ maxDepth: 2 });
    }
  });
  return options.length === 1 ? options[0]! : fc.oneof(...options);
};
