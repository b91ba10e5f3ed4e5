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
import { flatten, isAudited, isAuditedAction, type DomainManifest, type FunctionSpec, type PlatformManifest } from './shared/manifest.types.ts';

/**
 * What every authenticated REST function reads, added here once rather than in each entry: the tenant's
 * request count in the rateLimits table (functions/shared/rate-limit.ts) and the CORS origins. A new route
 * needs nothing extra, and the stack's grants still follow exactly from the manifest.
 */
const withRestStack = (spec: FunctionSpec): FunctionSpec => {
  if (!spec.http?.length) return spec;
  const counted = spec.http.some((route) => route.auth !== 'none');
  // Mutating routes write their audit entry (functions/shared/audit.ts): PostgreSQL and the event bus.
  const audited = spec.http.some(isAudited);
  return {
    ...spec,
    access: {
      ...spec.access,
      ...(audited ? { database: true, eventBus: true } : {}),
      ...(counted ? { tables: { ...spec.access.tables, rateLimits: 'readwrite' } } : {}),
      settings: [...(spec.access.settings ?? []), ...(counted ? (['rateLimitPerMinute'] as const) : []), 'corsAllowedOrigins'],
    },
  };
};

/** WebSocket actions that change stored state write their audit entry too (functions/realtime/ws-action.ts). */
const withWsAudit = (spec: FunctionSpec): FunctionSpec =>
  spec.websocket?.some((key) => isAuditedAction(spec, key)) ? { ...spec, access: { ...spec.access, database: true, eventBus: true } } : spec;

/**
 * Settings read by shared code rather than by one domain: the PostgreSQL pool size (functions/shared/db.ts)
 * in every database function, the fan-out width (functions/realtime/channel-fanout.ts) in every function that
 * posts to WebSocket connections. Added here so each is settable at deploy (`-c dbPoolMax=...`).
 */
const withSharedSettings = (spec: FunctionSpec): FunctionSpec => {
  const extra = [
    ...(spec.access.database ? (['dbPoolMax'] as const) : []),
    ...(spec.access.websocketManagement ? (['fanoutConcurrency'] as const) : []),
  ];
  return extra.length === 0 ? spec : { ...spec, access: { ...spec.access, settings: [...(spec.access.settings ?? []), ...extra] } };
};

const withStack = (domain: DomainManifest): DomainManifest => ({
  ...domain,
  functions: domain.functions.map(withRestStack).map(withWsAudit).map(withSharedSettings),
  systemFunctions: domain.systemFunctions.map(withSharedSettings),
});

/** The platform first: its functions live in the parent stack; every other domain gets a nested stack. */
export const manifest: PlatformManifest = {
  authorizer: withSharedSettings(authorizer),
  domains: [platformManifest, agentsManifest, realtimeManifest, protocolsManifest, ideBridgeManifest, n8nMonitorManifest].map(withStack),
};

export const flatManifest = flatten(manifest);
