/**
 * The manifest the stack is built from: the route manifest's exports gathered in one value, so the stack
 * (and tests) can be handed it explicitly instead of importing lib/routes.ts deep inside a construct.
 */
import type { FunctionSpec, StateMachineSpec } from './route-manifest.types.ts';

export interface PlatformManifest {
  authorizer: FunctionSpec;
  functions: FunctionSpec[];
  systemFunctions: FunctionSpec[];
  stateMachines: StateMachineSpec[];
}

/** `echo-task` -> `EchoTask`: the key used in ASL `${<PascalName>FunctionArn}` substitutions. */
export const pascalName = (kebab: string): string =>
  kebab
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

export const allFunctionSpecs = (manifest: PlatformManifest): FunctionSpec[] => [
  manifest.authorizer,
  ...manifest.functions,
  ...manifest.systemFunctions,
];
