/** Agent-specific failures, expressed as the shared HTTP-mapped error classes. */
import { ConflictError } from '#shared/errors.ts';

/** The caller's If-Match / expectedVersion no longer matches: someone else updated the agent first. */
export class AgentVersionConflictError extends ConflictError {}
