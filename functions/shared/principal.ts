/**
 * The caller as the authorizer described it. API Gateway only passes primitive context values, so roles
 * travel comma-joined (`"admin,developer"`) and are split here.
 */
import { UnauthorizedError } from './errors.ts';

export const ROLES = ['admin', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  userId: string;
  tenantId: string;
  roles: Role[];
}

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

export const parseRoles = (value: unknown): Role[] => {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return [...new Set(list.map((r) => String(r).trim()).filter(isRole))];
};

/** The authorizer context as API Gateway hands it over (REST and WebSocket alike). */
export type AuthorizerContext = Record<string, unknown> | null | undefined;

/** The principal from `event.requestContext.authorizer`, or UnauthorizedError if it is missing. */
export const principalFrom = (authorizer: AuthorizerContext): Principal => {
  const userId = authorizer?.userId ?? authorizer?.principalId;
  const tenantId = authorizer?.tenantId;
  if (typeof userId !== 'string' || userId === '' || typeof tenantId !== 'string' || tenantId === '') {
    throw new UnauthorizedError('No authenticated principal on this request');
  }
  return { userId, tenantId, roles: parseRoles(authorizer?.roles) };
};

/** What the authorizer returns as `context`: primitives only; `expiresAt` (epoch seconds) when the credential expires. */
export const toAuthorizerContext = (p: Principal, expiresAt?: number): { userId: string; tenantId: string; roles: string; expiresAt?: number } => ({
  userId: p.userId,
  tenantId: p.tenantId,
  roles: p.roles.join(','),
  ...(expiresAt !== undefined ? { expiresAt } : {}),
});

/**
 * The credential's expiry (epoch seconds) from the authorizer context, if it has one (JWTs; API keys do not
 * expire). API Gateway may hand context numbers over as strings, so both are read.
 */
export const credentialExpiryFrom = (authorizer: AuthorizerContext): number | undefined => {
  const value = authorizer?.expiresAt;
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(seconds) ? seconds : undefined;
};
