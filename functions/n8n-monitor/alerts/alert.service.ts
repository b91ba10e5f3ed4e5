/**
 * Alert rules over REST, and their evaluation after every sync: each rule's condition is observed per
 * subject, the incident state machine (alert-state.ts) decides, and only transitions (fired, resolved) are
 * stored and delivered to the rule's targets. Tenancy comes from the caller's principal, never from input.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { NotFoundError } from '#shared/errors.ts';
import { newId } from '#shared/ids.ts';
import { logger } from '#shared/observability.ts';
import { cursorId, cursorTimestamp, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import type { SecretBox } from '#shared/sealed-secrets.ts';
import type { InstanceRepository } from '../instances/instance.ts';
import { stepAlert } from './alert-state.ts';
import type { AlertCondition, AlertEventRecord, AlertNotifier, AlertObservations, AlertRepository, AlertRule, StoredTargets } from './alert.ts';

export interface AlertView {
  alertId: string;
  name: string;
  condition: AlertCondition;
  instanceId: string | null;
  workflowId: string | null;
  cooldownMinutes: number;
  enabled: boolean;
  targets: { websocket: boolean; sns: boolean; webhooks: Array<{ url: string }> };
  firing: Array<{ subject: string; firedAt: string }>;
  createdAt: string;
  updatedAt: string;
  webhookSecrets?: Array<{ url: string; secret: string }>;
}

export interface AlertPorts {
  repo: AlertRepository;
  instances: InstanceRepository;
  box: SecretBox;
}

export const webhookContext = (tenantId: string, alertId: string, url: string): string => `n8n-alert-webhook:${tenantId}:${alertId}:${url}`;

const splitWorkflowId = (id: string): { instanceId: string; n8nId: string } => {
  const at = id.indexOf(':');
  return { instanceId: id.slice(0, at), n8nId: id.slice(at + 1) };
};

const toView = async (repo: AlertRepository, rule: AlertRule): Promise<AlertView> => {
  const states = (await repo.states([rule.alertId])).get(rule.alertId) ?? new Map();
  return {
    alertId: rule.alertId,
    name: rule.name,
    condition: rule.condition,
    instanceId: rule.instanceId,
    workflowId: rule.workflowId === null ? null : `${rule.instanceId}:${rule.workflowId}`,
    cooldownMinutes: rule.cooldownMinutes,
    enabled: rule.enabled,
    targets: { websocket: rule.targets.websocket, sns: rule.targets.sns, webhooks: rule.targets.webhooks.map((w) => ({ url: w.url })) },
    firing: [...states.entries()].filter(([, s]) => s.firing).map(([subject, s]) => ({ subject, firedAt: s.firedAt!.toISOString() })),
    createdAt: rule.createdAt.toISOString(),
    updatedAt: rule.updatedAt.toISOString(),
  };
};

type TargetsInput = { websocket: boolean; sns: boolean; webhooks: Array<{ url: string; secret?: string | undefined }> };

/** Seals each webhook's HMAC key; generates the ones not given and hands them back once. */
const sealTargets = (box: SecretBox, tenantId: string, alertId: string, input: TargetsInput) => {
  const generated: Array<{ url: string; secret: string }> = [];
  const targets: StoredTargets = {
    websocket: input.websocket,
    sns: input.sns,
    webhooks: input.webhooks.map((w) => {
      const secret = w.secret ?? randomBytes(32).toString('base64url');
      if (!w.secret) generated.push({ url: w.url, secret });
      return { url: w.url, secretSealed: box.seal(secret, webhookContext(tenantId, alertId, w.url)) };
    }),
  };
  return { targets, generated };
};

export const requireAlert = async (repo: AlertRepository, tenantId: string, alertId: string): Promise<AlertRule> => {
  const rule = await repo.find(tenantId, alertId);
  if (!rule) throw new NotFoundError(`No alert rule ${alertId}`);
  return rule;
};

export const createAlert = async (
  ports: AlertPorts,
  caller: Principal,
  input: {
    name: string;
    condition: AlertCondition;
    instanceId?: string | undefined;
    workflowId?: string | undefined;
    cooldownMinutes: number;
    enabled: boolean;
    targets: TargetsInput;
  },
): Promise<AlertView> => {
  let instanceId = input.instanceId ?? null;
  let workflowId: string | null = null;
  if (input.workflowId) {
    const parts = splitWorkflowId(input.workflowId);
    if (instanceId && instanceId !== parts.instanceId) throw new NotFoundError(`Workflow ${input.workflowId} is not in instance ${instanceId}`);
    instanceId = parts.instanceId;
    workflowId = parts.n8nId;
  }
  if (instanceId && !(await ports.instances.find(caller.tenantId, instanceId))) throw new NotFoundError(`No n8n instance ${instanceId}`);
  const alertId = newId('n8a');
  const { targets, generated } = sealTargets(ports.box, caller.tenantId, alertId, input.targets);
  const rule = await ports.repo.create({
    alertId,
    tenantId: caller.tenantId,
    name: input.name,
    condition: input.condition,
    instanceId,
    workflowId,
    cooldownMinutes: input.cooldownMinutes,
    enabled: input.enabled,
    targets,
    createdBy: caller.userId,
  });
  return { ...(await toView(ports.repo, rule)), ...(generated.length > 0 ? { webhookSecrets: generated } : {}) };
};

const position = z.object({ at: cursorTimestamp, id: cursorId });

export const listAlerts = async (
  repo: AlertRepository,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<AlertView>> => {
  const rows = await repo.list(caller.tenantId, query.limit, decodeCursor(query.cursor, position));
  const page = toPage(
    rows,
    query.limit,
    (r) => r,
    (r) => ({ at: r.createdAt.toISOString(), id: r.alertId }),
  );
  return { items: await Promise.all(page.items.map((r) => toView(repo, r))), nextCursor: page.nextCursor };
};

export const getAlert = async (repo: AlertRepository, caller: Principal, alertId: string): Promise<AlertView> =>
  toView(repo, await requireAlert(repo, caller.tenantId, alertId));

export const updateAlert = async (
  ports: AlertPorts,
  caller: Principal,
  alertId: string,
  input: {
    name?: string | undefined;
    condition?: AlertCondition | undefined;
    cooldownMinutes?: number | undefined;
    enabled?: boolean | undefined;
    targets?: TargetsInput | undefined;
  },
): Promise<AlertView> => {
  const rule = await requireAlert(ports.repo, caller.tenantId, alertId);
  const sealed = input.targets ? sealTargets(ports.box, caller.tenantId, alertId, input.targets) : undefined;
  const next: AlertRule = {
    ...rule,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.condition !== undefined ? { condition: input.condition } : {}),
    ...(input.cooldownMinutes !== undefined ? { cooldownMinutes: input.cooldownMinutes } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(sealed ? { targets: sealed.targets } : {}),
  };
  const updated = await ports.repo.update(next, input.condition !== undefined || input.enabled === false);
  return { ...(await toView(ports.repo, updated)), ...(sealed && sealed.generated.length > 0 ? { webhookSecrets: sealed.generated } : {}) };
};

export const deleteAlert = async (repo: AlertRepository, caller: Principal, alertId: string): Promise<void> => {
  if (!(await repo.delete(caller.tenantId, alertId))) throw new NotFoundError(`No alert rule ${alertId}`);
};

export interface AlertEventView {
  eventId: string;
  alertId: string;
  kind: 'fired' | 'resolved';
  subject: string;
  at: string;
  detail: Record<string, unknown>;
  deliveries: Array<{ target: string; ok: boolean; detail?: string }>;
}

const toEventView = (e: AlertEventRecord): AlertEventView => ({ ...e, at: e.at.toISOString() });

export const listAlertEvents = async (
  repo: AlertRepository,
  caller: Principal,
  alertId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<AlertEventView>> => {
  await requireAlert(repo, caller.tenantId, alertId);
  const before = decodeCursor(query.cursor, z.object({ id: z.string().regex(/^\d{1,18}$/) }));
  const rows = await repo.listEvents(alertId, query.limit + 1, before?.id);
  return toPage(rows, query.limit, toEventView, (e) => ({ id: e.eventId }));
};

export interface EvaluationPorts {
  repo: AlertRepository;
  observations: AlertObservations;
  notifier: AlertNotifier;
  now?: () => Date;
}

/**
 * Evaluates every enabled rule of a tenant. A subject firing before but no longer observed (a deleted
 * workflow, an idle window) counts as clear. Returns the transitions made.
 */
export const evaluateAlerts = async (ports: EvaluationPorts, tenantId: string): Promise<AlertEventRecord[]> => {
  const now = (ports.now ?? (() => new Date()))();
  const rules = await ports.repo.listEnabled(tenantId);
  if (rules.length === 0) return [];
  const states = await ports.repo.states(rules.map((r) => r.alertId));
  const transitions: AlertEventRecord[] = [];
  for (const rule of rules) {
    try {
      const observed = await ports.observations.observe(rule, now);
      const ruleStates = states.get(rule.alertId) ?? new Map();
      const subjects = new Map(observed.map((o) => [o.subject, o]));
      for (const [subject, state] of ruleStates)
        if (state.firing && !subjects.has(subject)) subjects.set(subject, { subject, holds: false, detail: {} });
      for (const o of subjects.values()) {
        const previous = ruleStates.get(o.subject);
        const { state, transition } = stepAlert(previous, o.holds, now, rule.cooldownMinutes * 60_000);
        const changed = JSON.stringify(state) !== JSON.stringify(previous ?? state) || (previous === undefined && state.firing);
        if (changed) await ports.repo.saveState(rule.alertId, o.subject, state);
        if (!transition) continue;
        const payload = {
          alertId: rule.alertId,
          name: rule.name,
          kind: transition,
          subject: o.subject,
          condition: rule.condition,
          at: now.toISOString(),
          ...o.detail,
        };
        const deliveries: AlertEventRecord['deliveries'] = [];
        if (rule.targets.websocket) {
          await ports.notifier
            .websocket(tenantId, transition, payload)
            .then(() => deliveries.push({ target: 'websocket', ok: true }))
            .catch((error: unknown) => deliveries.push({ target: 'websocket', ok: false, detail: (error as Error).message }));
        }
        for (const hook of rule.targets.webhooks) {
          const outcome = await ports.notifier.webhook(hook.url, hook.secretSealed, webhookContext(tenantId, rule.alertId, hook.url), payload);
          deliveries.push({ target: `webhook:${hook.url}`, ...outcome });
        }
        if (rule.targets.sns) deliveries.push({ target: 'sns', ...(await ports.notifier.sns(payload)) });
        await ports.notifier.operations?.(tenantId, transition, payload);
        transitions.push(
          await ports.repo.addEvent({ tenantId, alertId: rule.alertId, kind: transition, subject: o.subject, detail: o.detail, deliveries }),
        );
      }
    } catch (error) {
      // One rule that cannot be judged must not keep the others from being judged.
      logger.error('Alert rule evaluation failed', { alertId: rule.alertId, error: error as Error });
    }
  }
  return transitions;
};
