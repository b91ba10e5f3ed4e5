/** Agent executions entries of the route manifest: REST routes, Step Functions tasks and the state machine. */
import type { FunctionSpec, StateMachineSpec } from '../route-manifest.types.ts';

export const functions: FunctionSpec[] = [];

/** Task functions run by the state machine (no route). */
export const systemFunctions: FunctionSpec[] = [];

export const stateMachines: StateMachineSpec[] = [];
