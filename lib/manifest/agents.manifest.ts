/** Agents domain entries (agents, tools, files, analytics) of the route manifest (gathered by lib/routes.ts). */
import type { FunctionSpec } from '../route-manifest.types.ts';

export const functions: FunctionSpec[] = [];
