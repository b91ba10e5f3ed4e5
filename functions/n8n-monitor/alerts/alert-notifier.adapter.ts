/**
 * Delivers alert transitions: the tenant's `n8n` WebSocket channel (through the event log), signed webhooks
 * under the SSRF rules, and the stage's SNS topic when the environment has one. Webhooks carry
 * `X-Mls-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the key: the rule's webhook
 * secret), so a receiver checks the sender and refuses replays older than it likes. No retries: the firing is
 * stored with each delivery's outcome (GET /v1/n8n/alerts/{id}/events).
 */
import { createHmac } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { publishEvents } from '#shared/events.ts';
import { metrics, MetricUnit } from '#shared/observability.ts';
import type { OutboundPolicy } from '#shared/outbound-http.ts';
import { outboundRequest } from '#shared/outbound-http.ts';
import { topics } from '#shared/resources.ts';
import type { SecretBox } from '#shared/sealed-secrets.ts';
import type { MonitorEvents } from '../sync/sync.service.ts';
import type { AlertNotifier } from './alert.ts';

export const signatureOf = (secret: string, timestamp: number, body: string): string =>
  `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

let sns: SNSClient | undefined;

export const createAlertNotifier = (options: {
  events: MonitorEvents;
  box: SecretBox;
  policy: OutboundPolicy;
  timeoutMs?: number;
}): AlertNotifier => ({
  websocket: async (tenantId, kind, payload) => {
    await options.events.publish(tenantId, [{ kind: `n8n.alert.${kind}`, data: payload }]);
  },
  webhook: async (url, secretSealed, context, payload) => {
    try {
      const body = JSON.stringify(payload);
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await outboundRequest(new URL(url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'mls-n8n-monitor',
          'x-mls-event': `n8n.alert.${String(payload.kind)}`,
          'x-mls-signature': signatureOf(options.box.open(secretSealed, context), timestamp, body),
        },
        body,
        timeoutMs: options.timeoutMs ?? 5_000,
        maxResponseBytes: 4096,
        policy: options.policy,
      });
      const ok = response.status >= 200 && response.status < 300;
      return ok ? { ok } : { ok, detail: `HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, detail: (error as Error)?.message ?? String(error) };
    }
  },
  // Best effort like the event bus itself (events.ts): never fails the evaluation.
  operations: async (tenantId, kind, payload) => {
    if (kind === 'fired') metrics.addMetric('N8nAlertsFired', MetricUnit.Count, 1);
    await publishEvents([
      { source: 'n8n-monitor', detailType: kind === 'fired' ? 'Alert Fired' : 'Alert Resolved', detail: { ...payload, tenantId } },
    ]);
  },
  sns: async (payload) => {
    const topicArn = process.env[topics.n8nAlerts.env];
    if (!topicArn) return { ok: false, detail: 'skipped: no SNS topic in this environment (the local runtime has none)' };
    try {
      sns ??= new SNSClient({});
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: `[${String(payload.kind)}] ${String(payload.name)}`.slice(0, 100),
          Message: JSON.stringify(payload),
          MessageAttributes: { kind: { DataType: 'String', StringValue: String(payload.kind) } },
        }),
      );
      return { ok: true };
    } catch (error) {
      return { ok: false, detail: (error as Error)?.message ?? String(error) };
    }
  },
});
