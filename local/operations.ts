/**
 * What operators see in AWS, locally: the stage's EventBridge bus and the CloudWatch metrics the functions emit.
 *
 * - The bus: an endpoint speaking EventBridge's PutEvents (AWS JSON 1.1), so the handlers' unchanged
 *   `@aws-sdk/client-eventbridge` reaches it through AWS_ENDPOINT_URL_EVENTBRIDGE. It keeps the last events
 *   in memory, serves them at `GET /events` (`?source=&detailType=&tenantId=&limit=`) and prints one line each.
 * - Metrics: the handlers print Powertools' Embedded Metric Format lines to stdout, from which CloudWatch
 *   builds the metrics in AWS. Here the same lines are taken off stdout (so they do not flood the terminal),
 *   summed per namespace, name and dimensions, and served at `GET /metrics`: what the dashboard will show.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readBody } from './http-util.ts';

export interface BusEvent {
  id: string;
  time: string;
  eventBusName: string;
  source: string;
  detailType: string;
  detail: unknown;
}

export interface MetricSummary {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  /** Data points (values of one flush count once each). */
  samples: number;
  sum: number;
  min: number;
  max: number;
  lastAt: string;
}

export interface LocalOperations {
  server: Server;
  events: () => BusEvent[];
  metrics: () => MetricSummary[];
  /** Stops taking EMF lines off stdout. */
  close: () => void;
}

const MAX_EVENTS = 1000;
/** PutEvents limits: 10 entries per call, 256 KiB per request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

interface EmfDocument {
  _aws?: {
    Timestamp?: number;
    CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }>;
  };
  [key: string]: unknown;
}

const json = (res: import('node:http').ServerResponse, status: number, body: unknown, type = 'application/json'): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

export function createLocalOperations(options: { log: (line: string) => void }): LocalOperations {
  const events: BusEvent[] = [];
  const metrics = new Map<string, MetricSummary>();

  const recordEmf = (doc: EmfDocument): void => {
    const at = new Date(doc._aws?.Timestamp ?? Date.now()).toISOString();
    for (const directive of doc._aws?.CloudWatchMetrics ?? []) {
      for (const dimensionSet of directive.Dimensions.length > 0 ? directive.Dimensions : [[]]) {
        const dimensions = Object.fromEntries(dimensionSet.map((d) => [d, String(doc[d] ?? '')]));
        for (const metric of directive.Metrics) {
          const raw = doc[metric.Name];
          const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
          if (values.length === 0) continue;
          const key = JSON.stringify([directive.Namespace, metric.Name, dimensions]);
          const summary = metrics.get(key) ?? {
            namespace: directive.Namespace,
            name: metric.Name,
            unit: metric.Unit ?? 'None',
            dimensions,
            samples: 0,
            sum: 0,
            min: Number.POSITIVE_INFINITY,
            max: Number.NEGATIVE_INFINITY,
            lastAt: at,
          };
          summary.samples += values.length;
          summary.sum += values.reduce((a, b) => a + b, 0);
          summary.min = Math.min(summary.min, ...values);
          summary.max = Math.max(summary.max, ...values);
          summary.lastAt = at;
          metrics.set(key, summary);
        }
      }
    }
  };

  // EMF lines are whole JSON objects starting with `{"_aws":`, one per write (Powertools' console.log).
  const stdout = process.stdout;
  const originalWrite = stdout.write;
  const patchedWrite = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && chunk.startsWith('{"_aws":')) {
      try {
        recordEmf(JSON.parse(chunk) as EmfDocument);
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      } catch {
        // Not EMF after all: print it.
      }
    }
    return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stdout.write;
  stdout.write = patchedWrite;

  const putEvents = (
    body: unknown,
  ): { FailedEntryCount: number; Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }> } => {
    const entries = (body as { Entries?: unknown }).Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw Object.assign(new Error(`Entries must hold 1-${MAX_ENTRIES} entries`), { code: 'ValidationException' });
    }
    let failed = 0;
    const results = entries.map((entry: Record<string, unknown>) => {
      const { Source, DetailType, Detail, EventBusName } = entry;
      let detail: unknown;
      try {
        detail = typeof Detail === 'string' ? JSON.parse(Detail) : undefined;
      } catch {
        detail = undefined;
      }
      if (typeof Source !== 'string' || typeof DetailType !== 'string' || detail === undefined || typeof detail !== 'object') {
        failed += 1;
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and a JSON object Detail are required' };
      }
      const event: BusEvent = {
        id: randomUUID(),
        time: new Date().toISOString(),
        eventBusName: typeof EventBusName === 'string' ? EventBusName : 'default',
        source: Source,
        detailType: DetailType,
        detail,
      };
      events.push(event);
      if (events.length > MAX_EVENTS) events.shift();
      const d = detail as Record<string, unknown>;
      options.log(`event ${event.source} "${event.detailType}" tenant ${String(d.tenantId ?? '-')}${d.action ? ` ${String(d.action)}` : ''}`);
      return { EventId: event.id };
    });
    return { FailedEntryCount: failed, Entries: results };
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'POST' && url.pathname === '/') {
        const target = String(req.headers['x-amz-target'] ?? '');
        const body = JSON.parse((await readBody(req, MAX_REQUEST_BYTES)).toString('utf8') || '{}') as unknown;
        if (target !== 'AWSEvents.PutEvents') {
          json(res, 400, { __type: 'UnknownOperationException', message: `${target} is not emulated` }, 'application/x-amz-json-1.1');
          return;
        }
        json(res, 200, putEvents(body), 'application/x-amz-json-1.1');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/events') {
        const q = url.searchParams;
        const limit = Math.min(Math.max(Number(q.get('limit') ?? 100) || 100, 1), MAX_EVENTS);
        const matching = events.filter(
          (e) =>
            (!q.get('source') || e.source === q.get('source')) &&
            (!q.get('detailType') || e.detailType === q.get('detailType')) &&
            (!q.get('tenantId') || (e.detail as { tenantId?: unknown }).tenantId === q.get('tenantId')),
        );
        json(res, 200, { items: matching.slice(-limit).reverse() });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/metrics') {
        json(res, 200, { items: [...metrics.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)) });
        return;
      }
      json(
        res,
        404,
        { type: 'about:blank', title: 'Not Found', status: 404, detail: 'GET /events, GET /metrics, or PutEvents at POST /' },
        'application/problem+json',
      );
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'SerializationException';
      json(res, 400, { __type: code, message: (error as Error).message }, 'application/x-amz-json-1.1');
    }
  });

  return {
    server,
    events: () => [...events],
    metrics: () => [...metrics.values()],
    close: () => {
      if (stdout.write === patchedWrite) stdout.write = originalWrite;
    },
  };
}
