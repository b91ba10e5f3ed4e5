/**
 * Runs the Lambda REQUEST authorizer the way API Gateway does and turns its answer into a verdict:
 * a thrown `Unauthorized` is 401, a policy that does not allow the method ARN is 403, anything else
 * unusable is a 500 (API Gateway's AUTHORIZER_FAILURE). The REST API and WebSocket `$connect` share it.
 *
 * No result cache here: the stack runs the authorizer with API Gateway's cache off (a REQUEST authorizer
 * can only cache when every identity source is present, and callers send either `Authorization` or
 * `x-api-key`), and the authorizer caches verified credentials itself, so local behaves the same.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { FunctionSpec } from '#shared/manifest.types.ts';
import type { LocalLambdas } from './lambda.ts';

export type AuthorizerVerdict =
  | { effect: 'allow'; authorizer: Record<string, unknown> }
  | { effect: 'unauthorized' }
  | { effect: 'deny' }
  | { effect: 'error'; error: unknown };

/** Compiled policy patterns: an authorizer answers the same few resources on every request. */
const compiled = new Map<string, RegExp>();
const MAX_COMPILED = 1000;

const matches = (pattern: string, arn: string): boolean => {
  let regex = compiled.get(pattern);
  if (!regex) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    // `s`: a method ARN carries the decoded path, which may hold CR/LF; `.` must match those too, or such a
    // request is denied (403) instead of reaching the handler that answers 400 for the bad id.
    regex = new RegExp(`^${source}$`, 's');
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex.test(arn);
};

const statementsMatching = (result: APIGatewayAuthorizerResult, effect: 'Allow' | 'Deny', methodArn: string): boolean =>
  (result.policyDocument?.Statement ?? []).some((s) => {
    const statement = s as { Effect?: string; Action?: string | string[]; Resource?: string | string[] };
    if (statement.Effect !== effect) return false;
    const actions = ([] as string[]).concat(statement.Action ?? []);
    if (!actions.some((a) => matches(a, 'execute-api:Invoke'))) return false;
    return ([] as string[]).concat(statement.Resource ?? []).some((r) => matches(r, methodArn));
  });

export async function runAuthorizer(
  lambdas: LocalLambdas,
  spec: FunctionSpec,
  event: { methodArn: string } & Record<string, unknown>,
): Promise<AuthorizerVerdict> {
  let result: APIGatewayAuthorizerResult;
  try {
    result = await lambdas.invoke<APIGatewayAuthorizerResult>(spec, event, { timeoutMs: 10_000 });
  } catch (error) {
    if (error instanceof Error && error.message === 'Unauthorized') return { effect: 'unauthorized' };
    return { effect: 'error', error };
  }
  if (!result || typeof result !== 'object' || !result.policyDocument || result.principalId === undefined) {
    return { effect: 'error', error: new Error('authorizer returned no principalId/policyDocument') };
  }
  // IAM semantics: an explicit Deny wins, then an Allow is needed.
  if (statementsMatching(result, 'Deny', event.methodArn) || !statementsMatching(result, 'Allow', event.methodArn)) {
    return { effect: 'deny' };
  }
  return { effect: 'allow', authorizer: { ...(result.context ?? {}), principalId: result.principalId, integrationLatency: 0 } };
}
