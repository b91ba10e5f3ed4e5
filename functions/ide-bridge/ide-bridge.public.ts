/**
 * The IDE bridge's public surface, for other front doors (the protocols domain's MCP endpoint exposes these
 * as MCP tools): the use cases behind POST /v1/ide/analyze, /complete and /fix, taking the caller's
 * principal and a request already validated by the schema exported beside it, answering what the REST route
 * answers and throwing the same errors. `ideUseCaseRoles` are the roles each needs, as the routes declare them.
 *
 * A function that uses them needs what the REST functions have: the `ideAnalyzers` layer and its memory, and
 * for complete and fix the model access (database, provider key secrets, base URL and ideDefaultModel settings).
 */
import type { Principal, Role } from '#shared/principal.ts';
import type { AnalyzeRequest, AnalyzeResponse, CompleteRequest, CompleteResponse, FixRequest, FixResponse } from './ide-bridge.contracts.ts';
import { analyzeRoute, completeRoute, fixRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { analyze, complete, fix } from './ide.service.ts';

export {
  analyzeRequest,
  analyzeResponse,
  completeRequest,
  completeResponse,
  fixRequest,
  fixResponse,
  LIMITS as ideLimits,
  type AnalyzeRequest,
  type AnalyzeResponse,
  type CompleteRequest,
  type CompleteResponse,
  type FixRequest,
  type FixResponse,
} from './ide-bridge.contracts.ts';
export { SUPPORTED_LANGUAGES } from './languages.ts';

export const ideUseCases = () => ({
  analyze: (principal: Principal, input: AnalyzeRequest): Promise<AnalyzeResponse> => analyze(idePorts(), principal, input),
  complete: (principal: Principal, input: CompleteRequest): Promise<CompleteResponse> => complete(idePorts(), principal, input),
  fix: (principal: Principal, input: FixRequest): Promise<FixResponse> => fix(idePorts(), principal, input),
});

/** undefined: any authenticated principal of the tenant. */
export const ideUseCaseRoles: Record<keyof ReturnType<typeof ideUseCases>, ReadonlyArray<Role> | undefined> = {
  analyze: (analyzeRoute as { roles?: ReadonlyArray<Role> }).roles,
  complete: completeRoute.roles,
  fix: fixRoute.roles,
};
