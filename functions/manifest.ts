/**
 * Every domain's manifest, gathered: the one module that the CDK app (lib/), the local runtime (local/), the
 * OpenAPI document and the tests read. Adding a domain is its folder with `<domain>.manifest.ts` and one line
 * in `domains` below; the stack then gives it a nested stack and the runtime mounts its routes.
 */
import { agentsManifest } from './agents/agents.manifest.ts';
import { ideBridgeManifest } from './ide-bridge/ide-bridge.manifest.ts';
import { n8nMonitorManifest } from './n8n-monitor/n8n-monitor.manifest.ts';
import { platformManifest, authorizer } from './platform/platform.manifest.ts';
import { protocolsManifest } from './protocols/protocols.manifest.ts';
import { realtimeManifest } from './realtime/realtime.manifest.ts';
import { flatten, type DomainManifest, type FunctionSpec, type PlatformManifest } from './shared/manifest.types.ts';

/**
 * What every authenticated REST function reads, added here once rather than in each entry: the tenant's
 * request count in the rateLimits table (functions/shared/rate-limit.ts) and the CORS origins. A new route
 * needs nothing extra, and the stack's grants still follow exactly from the manifest.
 */
const withRestStack = (spec: FunctionSpec): FunctionSpec => {
  if (!spec.http?.length) return spec;
  const counted = spec.http.some((route) => route.auth !== 'none');
  return {
    ...spec,
    access: {
      ...spec.access,
      ...(counted ? { tables: { ...spec.access.tables, rateLimits: 'readwrite' } } : {}),
      settings: [...(spec.access.settings ?? []), ...(counted ? (['rateLimitPerMinute'] as const) : []), 'corsAllowedOrigins'],
    },
  };
};

const withStack = (domain: DomainManifest): DomainManifest => ({ ...domain, functions: domain.functions.map(withRestStack) });

/** The platform first: its functions live in the parent stack; every other domain gets a nested stack. */
export const manifest: PlatformManifest = {
  authorizer,
  domains: [platformManifest, agentsManifest, realtimeManifest, protocolsManifest, ideBridgeManifest, n8nMonitorManifest].map(withStack),
};

export const flatManifest = flatten(manifest);
