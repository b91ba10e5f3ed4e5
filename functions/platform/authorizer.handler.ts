/**
 * The one REQUEST authorizer, for the REST API and for WebSocket `$connect` (`?token=`). Allows with the
 * principal as context (primitives only: roles comma-joined), or throws `Unauthorized`, which API Gateway
 * answers with 401 (a problem+json gateway response). Role checks (403) happen in the handlers.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { decodeJwt } from 'jose';
import { secrets, settings } from '#shared/resources.ts';
import { getPool } from '#shared/db.ts';
import { UnauthorizedError } from '#shared/errors.ts';
import { baseHandler, logger, metrics, MetricUnit } from '#shared/observability.ts';
import { toAuthorizerContext } from '#shared/principal.ts';
import { readSecret } from '#shared/secrets.ts';
import { PgApiKeyRepository } from './api-key.repository.ts';
import { looksLikeApiKey } from './api-key.ts';
import { createAuthenticator, credentialFrom } from './authenticator.ts';

const oidcIssuer = process.env[settings.oidcIssuer.env];

const authenticate = createAuthenticator({
  jwtSecret: () => readSecret(secrets.jwtSigningKey.env),
  findApiKey: async (hash) => new PgApiKeyRepository(await getPool()).findActiveByHash(hash),
  oidc: oidcIssuer
    ? { issuer: oidcIssuer, jwksUrl: process.env[settings.oidcJwksUrl.env], audience: process.env[settings.oidcAudience.env] }
    : undefined,
});

/**
 * `arn:aws:execute-api:region:account:api/stage/*`: one policy for every route of the API, so a result is
 * valid whichever route the same credential calls next.
 */
const apiWideResource = (methodArn: string): string => {
  const [apiArn, stage] = methodArn.split('/');
  return apiArn && stage ? `${apiArn}/${stage}/*` : methodArn;
};

/**
 * A WebSocket connection keeps this context for its whole life (up to 2 h), so `$connect` also passes the
 * JWT's `exp` on, and every action re-checks it (functions/realtime/ws-action.ts). A REST request is
 * authorized afresh each time and needs none. The token was verified just now, so decoding it is enough.
 */
const webSocketCredentialExpiry = (event: APIGatewayRequestAuthorizerEvent, credential: string | undefined): number | undefined => {
  if (!credential || looksLikeApiKey(credential) || !event.methodArn?.endsWith('/$connect')) return undefined;
  return decodeJwt(credential).exp;
};

const authorize = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  try {
    const isConnect = event.methodArn?.endsWith('/$connect') ?? false;
    const credential = credentialFrom(event.headers, isConnect ? event.queryStringParameters : undefined);
    const principal = await authenticate(credential);
    const result: APIGatewayAuthorizerResult = {
      principalId: principal.userId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: apiWideResource(event.methodArn) }],
      },
      context: toAuthorizerContext(principal, webSocketCredentialExpiry(event, credential)),
    };
    metrics.addMetric('AuthorizerAllowed', MetricUnit.Count, 1);
    return result;
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      // The reason only, never the credential.
      logger.info('Denied', { reason: error.message });
      metrics.addMetric('AuthorizerDenied', MetricUnit.Count, 1);
      throw new Error('Unauthorized');
    }
    logger.error('Authorizer failed', error as Error);
    metrics.addMetric('AuthorizerFailed', MetricUnit.Count, 1);
    throw error;
  }
};

export const handler = baseHandler<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>({
  correlationId: (event) => event.requestContext?.requestId,
}).handler(authorize);
