/** Alert rules, their incident states and firings: records and storage ports (PostgreSQL in alert.repository.ts). */
import type { AlertState } from './alert-state.ts';

export type AlertCondition =
  | { kind: 'failure-rate'; threshold: number; windowMinutes: number; minRuns: number }
  | { kind: 'consecutive-failures'; count: number }
  | { kind: 'duration'; maxDurationMs: number; windowMinutes: number }
  | { kind: 'no-success'; windowMinutes: number }
  | { kind: 'instance-unreachable'; failures: number };

export interface StoredTargets {
  websocket: boolean;
  sns: boolean;
  webhooks: Array<{ url: string; secretSealed: string }>;
}

export interface AlertRule {
  alertId: string;
  tenantId: string;
  name: string;
  condition: AlertCondition;
  /** Scope: one instance, and within it one n8n workflow id; null = all. */
  instanceId: string | null;
  workflowId: string | null;
  cooldownMinutes: number;
  enabled: boolean;
  targets: StoredTargets;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface AlertEventRecord {
  eventId: string;
  alertId: string;
  kind: 'fired' | 'resolved';
  subject: string;
  at: Date;
  detail: Record<string, unknown>;
  deliveries: Array<{ target: string; ok: boolean; detail?: string }>;
}

export interface AlertRepository {
  create(rule: Omit<AlertRule, 'createdAt' | 'updatedAt'>): Promise<AlertRule>;
  find(tenantId: string, alertId: string): Promise<AlertRule | undefined>;
  list(tenantId: string, limit: number, after?: { at: string; id: string }): Promise<AlertRule[]>;
  listEnabled(tenantId: string): Promise<AlertRule[]>;
  update(rule: AlertRule, resetStates: boolean): Promise<AlertRule>;
  delete(tenantId: string, alertId: string): Promise<boolean>;
  states(alertIds: string[]): Promise<Map<string, Map<string, AlertState>>>;
  saveState(alertId: string, subject: string, state: AlertState): Promise<void>;
  addEvent(event: Omit<AlertEventRecord, 'eventId' | 'at'> & { tenantId: string }): Promise<AlertEventRecord>;
  listEvents(alertId: string, limit: number, beforeId?: string): Promise<AlertEventRecord[]>;
}

/** One subject's reading of a rule's condition right now. */
export interface Observation {
  subject: string;
  holds: boolean;
  detail: Record<string, unknown>;
}

/** Reads the synced data a condition is judged on. */
export interface AlertObservations {
  observe(rule: AlertRule, now: Date): Promise<Observation[]>;
}

/** Where a firing goes; each answers whether it was delivered. */
export interface AlertNotifier {
  websocket(tenantId: string, kind: 'fired' | 'resolved', payload: Record<string, unknown>): Promise<void>;
  webhook(url: string, secretSealed: string, context: string, payload: Record<string, unknown>): Promise<{ ok: boolean; detail?: string }>;
  sns(payload: Record<string, unknown>): Promise<{ ok: boolean; detail?: string }>;
  /** Every transition, for operators: the stage's event bus (`Alert Fired` / `Alert Resolved`) and the firing count metric. */
  operations?(tenantId: string, kind: 'fired' | 'resolved', payload: Record<string, unknown>): Promise<void>;
}
