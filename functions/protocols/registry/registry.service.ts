/**
 * The protocol registry's use cases: list the protocols with their versions and methods, give one method's
 * schemas, validate one message. Each protocol's schemas come from its catalog (a port); nothing is stored.
 */
import { NotFoundError, ValidationError } from '#shared/errors.ts';
import type { MethodInfo, ProtocolCatalog, ProtocolId, ProtocolInfo, ValidationOutcome } from './protocol.ts';
import type { ValidateBody } from './registry.contracts.ts';

export interface RegistryPorts {
  catalogs: ReadonlyArray<ProtocolCatalog>;
}

const catalogOf = (ports: RegistryPorts, id: string): ProtocolCatalog | undefined => ports.catalogs.find((c) => c.id === id);

export const methodHref = (protocol: ProtocolId, version: string, method: string): string =>
  `/v1/protocols/${protocol}/methods/${encodeURIComponent(method)}?version=${encodeURIComponent(version)}`;

/** The version asked for, or the newest; an unknown one is a 400 naming the field and the known versions. */
const resolveVersion = async (catalog: ProtocolCatalog, version: string | undefined, field: string): Promise<string> => {
  const versions = (await catalog.versions()).map((v) => v.version);
  if (version === undefined) return versions[0]!;
  if (!versions.includes(version)) {
    throw new ValidationError(`${catalog.name} has no version ${version}`, [{ path: field, message: `Known versions: ${versions.join(', ')}` }]);
  }
  return version;
};

export const listProtocols = async (ports: RegistryPorts, options: { includeSchemas: boolean }): Promise<ProtocolInfo[]> =>
  Promise.all(
    ports.catalogs.map(async (catalog) => ({
      id: catalog.id,
      name: catalog.name,
      versions: await Promise.all(
        (await catalog.versions()).map(async (v) => ({
          ...v,
          methods: await Promise.all(
            v.methods.map(async (m: MethodInfo) => {
              const href = methodHref(catalog.id, v.version, m.name);
              if (!options.includeSchemas) return { ...m, href };
              return { ...(await catalog.method(v.version, m.name)), ...m, href, protocol: catalog.id, version: v.version };
            }),
          ),
        })),
      ),
    })),
  );

/** API Gateway may hand a `%2F` through still encoded; the local gateway decodes it. Either way, one name. */
const decodeMethod = (raw: string): string => {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
};

export const getMethod = async (ports: RegistryPorts, input: { protocolId: string; method: string; version?: string | undefined }) => {
  const catalog = catalogOf(ports, input.protocolId);
  if (!catalog) throw new NotFoundError(`No protocol ${input.protocolId} in the registry (known: ${ports.catalogs.map((c) => c.id).join(', ')})`);
  const version = await resolveVersion(catalog, input.version, 'query.version');
  const name = decodeMethod(input.method);
  const method = await catalog.method(version, name);
  if (!method) throw new NotFoundError(`${catalog.name} ${version} has no method ${name}`);
  return { ...method, href: methodHref(catalog.id, version, method.name), protocol: catalog.id, version };
};

export const validateMessage = async (
  ports: RegistryPorts,
  input: ValidateBody,
): Promise<ValidationOutcome & { protocol: ProtocolId; version: string }> => {
  const catalog = catalogOf(ports, input.protocol)!;
  const version = await resolveVersion(catalog, input.version, 'body.version');
  const outcome = await catalog.validate({ version, message: input.message, method: input.method });
  return { ...outcome, protocol: catalog.id, version };
};
