/**
 * LSP 3.18 from the types `vscode-languageserver-protocol` ships: scripts/generate-lsp-schemas.ts turns them
 * into JSON Schemas at build time (a generated, git-ignored file; `npm ci` and `npm run generate` write it),
 * and this adapter validates messages against them with ajv. The JSON import is inlined by esbuild, so a
 * Lambda reads nothing from disk. Validators are compiled per method on first use.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import generated from './generated/lsp-3.18.json' with { type: 'json' };
import { issuesOf } from './ajv-issues.ts';
import {
  readJsonRpc,
  reachableDefinitions,
  type Direction,
  type JsonSchema,
  type MethodInfo,
  type MethodSchemas,
  type ProtocolCatalog,
  type ProtocolVersion,
  type ValidateInput,
  type ValidationOutcome,
} from './protocol.ts';

interface GeneratedMethod {
  kind: 'request' | 'notification';
  direction: string;
  params?: string;
  result?: string;
}

interface GeneratedLsp {
  version: string;
  source: { package: string; version: string; generator: string };
  methods: Record<string, GeneratedMethod>;
  definitions: Record<string, unknown>;
}

const lsp = generated as unknown as GeneratedLsp;
export const LSP_VERSION = lsp.version;
export const lspSource = lsp.source;

const SCHEMA_ID = 'lsp-3.18';
const ref = (name: string) => ({ $ref: `${SCHEMA_ID}#/definitions/${encodeURIComponent(name)}` });

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

const validatorFor = (definition: string): ValidateFunction => {
  let validate = validators.get(definition);
  if (!validate) {
    ajv ??= (() => {
      // Not strict: the generated schemas carry documentation keywords ajv does not know.
      const instance = new Ajv({ allErrors: true, strict: false, validateFormats: false });
      instance.addSchema({ $id: SCHEMA_ID, definitions: lsp.definitions });
      return instance;
    })();
    validate = ajv.compile(ref(definition));
    validators.set(definition, validate);
  }
  return validate;
};

const directionOf = (d: string): Direction => (d === 'clientToServer' || d === 'serverToClient' ? d : 'both');

const infoOf = (name: string, m: GeneratedMethod): MethodInfo => ({ name, kind: m.kind, direction: directionOf(m.direction) });

/** A definition and everything it reaches, as one draft-07 schema. */
const standalone = (definition: string): JsonSchema => {
  const root = { $ref: `#/definitions/${encodeURIComponent(definition)}` };
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...root, definitions: reachableDefinitions(root, lsp.definitions) };
};

/** LSP methods by name, for the translation layer (which methods exist, their params' definition names). */
export const lspMethods = (): ReadonlyMap<string, GeneratedMethod> => new Map(Object.entries(lsp.methods));

/** Validates an LSP params or result value against the generated schema of `method` (issues under `prefix`). */
export const checkLsp = (method: string, part: 'params' | 'result', value: unknown, prefix: string) => {
  const m = lsp.methods[method];
  const definition = part === 'params' ? m?.params : m?.result;
  if (!definition) return undefined;
  const validate = validatorFor(definition);
  return validate(value) ? [] : issuesOf(validate.errors, prefix);
};

export const lspCatalog = (): ProtocolCatalog => ({
  id: 'lsp',
  name: 'Language Server Protocol',
  versions: async (): Promise<ProtocolVersion[]> => [
    {
      version: lsp.version,
      source: `${lsp.source.package}@${lsp.source.version}`,
      methods: Object.entries(lsp.methods).map(([name, m]) => infoOf(name, m)),
    },
  ],
  method: async (version, name) => {
    const m = lsp.methods[name];
    if (version !== lsp.version || !m) return undefined;
    const out: MethodSchemas = infoOf(name, m);
    if (m.params) out.params = standalone(m.params);
    if (m.result) out.result = standalone(m.result);
    return out;
  },
  validate: async ({ message, method: answers }: ValidateInput): Promise<ValidationOutcome> => {
    const { shape, issues } = readJsonRpc(message, 'LSP');
    if (!shape) return { valid: false, errors: issues };
    if (shape.kind === 'response') {
      if (shape.error !== undefined) return { valid: true, kind: 'response', errors: [] };
      if (!answers) return { valid: true, kind: 'response', errors: [] };
      const m = lsp.methods[answers];
      if (m?.kind !== 'request') {
        return { valid: false, kind: 'response', method: answers, errors: [{ path: '', message: `LSP ${lsp.version} has no request ${answers}` }] };
      }
      const errors = checkLsp(answers, 'result', shape.result ?? null, '/result') ?? [];
      return { valid: errors.length === 0, kind: 'response', method: answers, schema: m.result!, errors };
    }
    const m = lsp.methods[shape.method];
    if (!m) {
      // `$/` methods are implementation-dependent: a receiver may ignore them (LSP "$ Notifications and Requests").
      const optional = shape.method.startsWith('$/');
      return {
        valid: optional,
        kind: shape.kind,
        method: shape.method,
        errors: optional ? [] : [{ path: '/method', message: `LSP ${lsp.version} has no method ${shape.method} (-32601 Method not found)` }],
      };
    }
    if (m.kind !== shape.kind) {
      const should = m.kind === 'request' ? 'a request (with an id)' : 'a notification (without an id)';
      return { valid: false, kind: shape.kind, method: shape.method, errors: [{ path: '', message: `${shape.method} is ${should}` }] };
    }
    if (!m.params) {
      const errors = shape.params === undefined ? [] : [{ path: '/params', message: `${shape.method} takes no params` }];
      return { valid: errors.length === 0, kind: shape.kind, method: shape.method, errors };
    }
    if (shape.params === undefined) {
      return { valid: false, kind: shape.kind, method: shape.method, schema: m.params, errors: [{ path: '/params', message: 'Required' }] };
    }
    const errors = checkLsp(shape.method, 'params', shape.params, '/params') ?? [];
    return { valid: errors.length === 0, kind: shape.kind, method: shape.method, schema: m.params, errors };
  },
});
