/**
 * Probes a remote MCP server as a client would and reports each check with its evidence:
 * - which revisions it speaks: 2026-07-28 `server/discover` (with the per-request envelope), 2025-11-25
 *   `initialize` and `notifications/initialized`;
 * - for each revision it speaks: tools/list, resources/list, prompts/list (a list the server does not declare
 *   may answer -32601), ping where the revision has it, an unknown method (must be -32601), and the official
 *   SDK client connecting in that revision;
 * - a malformed body (must be a -32700 parse error).
 * Every response is checked against the revision's schemas (the registry's MCP catalog). Exchanges are
 * bounded one by one and as a whole, so a server that hangs costs a bounded time and fails its checks.
 */
import type { ValidationIssue } from '../registry/protocol.ts';
import { readJsonRpc } from '../registry/protocol.ts';
import type { Check, CompatReport, Evidence, Exchange, McpProbe } from './compat.ts';

export interface CompatPorts {
  probe: McpProbe;
  /** Schema issues of a result of `method` under `revision` (pointers into the result). */
  checkResult(revision: string, method: string, result: unknown): ValidationIssue[];
  /** Whether `revision` has `method`. */
  hasMethod(revision: string, method: string): boolean;
  clock?: () => number;
}

export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';
const CLIENT_INFO = { name: 'multimodal-llm-stack-compat', version: '1.0.0' };
/** The reserved `_meta` keys of the 2026-07-28 request envelope. */
const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
};
/** What a report may cost in all (API Gateway ends a request at 29 s). */
export const BUDGET_MS = 24_000;
export const UNKNOWN_METHOD = 'mls/compat-unknown-method';

/**
 * A response kept as evidence, cut to a readable size but still JSON: long strings end in "…", long arrays
 * keep their first items and say how many there were, deep nesting stops.
 */
const cut = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return value.length > 300 ? `${value.slice(0, 300)}… (${value.length} characters)` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 6) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) {
    const items = value.slice(0, 5).map((v) => cut(v, depth + 1));
    return value.length > 5 ? [...items, `… (${value.length} items)`] : items;
  }
  const entries = Object.entries(value);
  const kept = entries.slice(0, 30).map(([k, v]) => [k, cut(v, depth + 1)]);
  return Object.fromEntries(entries.length > 30 ? [...kept, ['…', `${entries.length} keys`]] : kept);
};

const evidenceOf = (sent: string, x: Exchange): Evidence => ({
  sent,
  ...(x.httpStatus !== undefined && { httpStatus: x.httpStatus }),
  ...(x.contentType && { contentType: x.contentType }),
  ...(x.message !== undefined ? { response: cut(x.message) } : x.text !== undefined ? { response: cut(x.text) } : {}),
  ...(x.failure && { note: x.failure }),
});

type Answer =
  | { kind: 'result'; result: unknown; evidence: Evidence }
  | { kind: 'error'; code: number; message: string; evidence: Evidence }
  | { kind: 'broken'; evidence: Evidence; transport: boolean };

/**
 * A revision probe answered as a server that does not speak the revision would: a JSON-RPC error, or an
 * HTTP 4xx. Timeouts, connection failures and 5xx are failures, whatever the revision.
 */
const doesNotSpeak = (answer: Answer): boolean =>
  answer.kind === 'error' || (answer.kind === 'broken' && !answer.transport && (answer.evidence.httpStatus ?? 500) < 500);

export const runCompat = async (ports: CompatPorts, input: { url: string }): Promise<CompatReport> => {
  const now = ports.clock ?? Date.now;
  const started = now();
  const remaining = () => BUDGET_MS - (now() - started);
  const checks: Check[] = [];
  const revisions: string[] = [];
  let nextId = 1;
  let sessionId: string | undefined;

  const add = (check: Omit<Check, 'ms'>, ms: number) => checks.push({ ...check, ms });

  /** One JSON-RPC request; the answer read and its envelope checked (id echoed, result xor error). */
  const ask = async (revision: string, method: string, params: Record<string, unknown> | undefined): Promise<{ answer: Answer; ms: number }> => {
    const id = nextId++;
    const withEnvelope =
      revision === MODERN
        ? { ...params, _meta: { [META.protocolVersion]: MODERN, [META.clientCapabilities]: {}, [META.clientInfo]: CLIENT_INFO } }
        : params;
    const x = await ports.probe.send({
      body: JSON.stringify({ jsonrpc: '2.0', id, method, ...(withEnvelope && { params: withEnvelope }) }),
      revision,
      method,
      ...(sessionId && revision === LEGACY && { sessionId }),
    });
    if (x.sessionId && revision === LEGACY) sessionId = x.sessionId;
    const evidence = evidenceOf(method, x);
    if (x.failure || x.message === undefined) {
      return {
        answer: {
          kind: 'broken',
          transport: x.failure !== undefined,
          evidence: { ...evidence, note: x.failure ?? 'The response holds no JSON-RPC message' },
        },
        ms: x.ms,
      };
    }
    const { shape, issues } = readJsonRpc(x.message, 'MCP');
    if (shape?.kind !== 'response') {
      const errors = issues.length > 0 ? issues : [{ path: '', message: 'Not a JSON-RPC response' }];
      return { answer: { kind: 'broken', transport: false, evidence: { ...evidence, errors } }, ms: x.ms };
    }
    if (shape.id !== id) {
      return {
        answer: {
          kind: 'broken',
          transport: false,
          evidence: { ...evidence, errors: [{ path: '/id', message: `Expected the request's id ${id}` }] },
        },
        ms: x.ms,
      };
    }
    if (shape.error !== undefined) {
      const e = shape.error as { code: number; message: string };
      return { answer: { kind: 'error', code: e.code, message: e.message, evidence }, ms: x.ms };
    }
    return { answer: { kind: 'result', result: shape.result, evidence }, ms: x.ms };
  };

  const outOfTime = (id: string, title: string, revision?: string) =>
    add({ id, title, ...(revision && { revision }), status: 'skipped', evidence: { note: 'The time budget of the report was spent' } }, 0);

  /** A request whose result must match the revision's schema. */
  const resultCheck = async (
    id: string,
    title: string,
    revision: string,
    method: string,
    params: Record<string, unknown> | undefined,
    declared?: boolean,
  ): Promise<unknown> => {
    if (remaining() < 500) return outOfTime(id, title, revision);
    const { answer, ms } = await ask(revision, method, params);
    if (answer.kind === 'result') {
      const errors = ports.checkResult(revision, method, answer.result);
      add(
        {
          id,
          title,
          revision,
          status: errors.length === 0 ? 'passed' : 'failed',
          evidence: { ...answer.evidence, ...(errors.length > 0 && { errors }) },
        },
        ms,
      );
      return errors.length === 0 ? answer.result : undefined;
    }
    if (answer.kind === 'error' && answer.code === -32601 && declared === false) {
      add(
        {
          id,
          title,
          revision,
          status: 'skipped',
          evidence: { ...answer.evidence, note: 'The server does not declare this capability and answered -32601, as it should' },
        },
        ms,
      );
      return undefined;
    }
    const note =
      answer.kind === 'error'
        ? `Answered JSON-RPC error ${answer.code}: ${answer.message}${declared ? ' although it declares the capability' : ''}`
        : answer.evidence.note;
    add({ id, title, revision, status: 'failed', evidence: { ...answer.evidence, ...(note && { note }) } }, ms);
    return undefined;
  };

  // --- which revisions the server speaks ---------------------------------------------------------------

  const capabilities: Record<string, Record<string, unknown>> = {};

  {
    const { answer, ms } = await ask(MODERN, 'server/discover', {});
    const title = 'Discovery (server/discover)';
    if (answer.kind === 'result') {
      const errors = ports.checkResult(MODERN, 'server/discover', answer.result);
      const supported = (answer.result as { supportedVersions?: unknown }).supportedVersions;
      const claims = Array.isArray(supported) && supported.includes(MODERN);
      if (errors.length === 0 && claims) {
        revisions.push(MODERN);
        capabilities[MODERN] = ((answer.result as { capabilities?: Record<string, unknown> }).capabilities ?? {}) as Record<string, unknown>;
      }
      add(
        {
          id: 'discover',
          title,
          revision: MODERN,
          status: errors.length === 0 ? 'passed' : 'failed',
          evidence: {
            ...answer.evidence,
            ...(errors.length > 0 && { errors }),
            ...(!claims && { note: `supportedVersions does not include ${MODERN}` }),
          },
        },
        ms,
      );
    } else if (doesNotSpeak(answer)) {
      add({ id: 'discover', title, revision: MODERN, status: 'skipped', evidence: { ...answer.evidence, note: `Does not speak ${MODERN}` } }, ms);
    } else {
      add({ id: 'discover', title, revision: MODERN, status: 'failed', evidence: answer.evidence }, ms);
    }
  }

  if (remaining() < 500) outOfTime('initialize', 'Handshake (initialize)', LEGACY);
  else {
    const { answer, ms } = await ask(LEGACY, 'initialize', { protocolVersion: LEGACY, capabilities: {}, clientInfo: CLIENT_INFO });
    const title = 'Handshake (initialize)';
    if (answer.kind === 'result') {
      const errors = ports.checkResult(LEGACY, 'initialize', answer.result);
      const version = (answer.result as { protocolVersion?: unknown }).protocolVersion;
      if (errors.length === 0 && version === LEGACY) {
        revisions.push(LEGACY);
        capabilities[LEGACY] = ((answer.result as { capabilities?: Record<string, unknown> }).capabilities ?? {}) as Record<string, unknown>;
      }
      add(
        {
          id: 'initialize',
          title,
          revision: LEGACY,
          status: errors.length === 0 ? 'passed' : 'failed',
          evidence: {
            ...answer.evidence,
            ...(errors.length > 0 && { errors }),
            ...(version !== LEGACY && { note: `Negotiated ${String(version)}, not ${LEGACY}` }),
          },
        },
        ms,
      );
      if (revisions.includes(LEGACY)) {
        const x = await ports.probe.send({
          body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
          revision: LEGACY,
          method: 'notifications/initialized',
          ...(sessionId && { sessionId }),
        });
        const accepted = x.httpStatus !== undefined && x.httpStatus >= 200 && x.httpStatus < 300;
        add(
          {
            id: 'initialized',
            title: 'Initialized notification accepted (HTTP 202)',
            revision: LEGACY,
            status: accepted ? 'passed' : 'failed',
            evidence: evidenceOf('notifications/initialized', x),
          },
          x.ms,
        );
      }
    } else if (doesNotSpeak(answer)) {
      add({ id: 'initialize', title, revision: LEGACY, status: 'skipped', evidence: { ...answer.evidence, note: `Does not speak ${LEGACY}` } }, ms);
    } else {
      add({ id: 'initialize', title, revision: LEGACY, status: 'failed', evidence: answer.evidence }, ms);
    }
  }

  if (revisions.length === 0) {
    add(
      {
        id: 'revisions',
        title: 'Speaks a revision this platform speaks',
        status: 'failed',
        evidence: { note: `Neither ${MODERN} (server/discover) nor ${LEGACY} (initialize) was answered as the protocol says` },
      },
      0,
    );
  }

  // --- per revision -----------------------------------------------------------------------------------

  for (const revision of revisions) {
    const caps = capabilities[revision] ?? {};
    for (const [feature, method] of [
      ['tools', 'tools/list'],
      ['resources', 'resources/list'],
      ['prompts', 'prompts/list'],
    ] as const) {
      await resultCheck(`${method}@${revision}`, `${method} answers a valid list`, revision, method, {}, feature in caps);
    }
    if (ports.hasMethod(revision, 'ping')) await resultCheck(`ping@${revision}`, 'ping answers an empty result', revision, 'ping', undefined);

    const unknownId = `unknown-method@${revision}`;
    const unknownTitle = 'An unknown method answers -32601';
    if (remaining() < 500) outOfTime(unknownId, unknownTitle, revision);
    else {
      const { answer, ms } = await ask(revision, UNKNOWN_METHOD, {});
      const passed = answer.kind === 'error' && answer.code === -32601;
      const note =
        answer.kind === 'result'
          ? 'Answered a result to a method that does not exist'
          : answer.kind === 'error' && !passed
            ? `Answered ${answer.code}, not -32601`
            : undefined;
      add(
        {
          id: unknownId,
          title: unknownTitle,
          revision,
          status: passed ? 'passed' : 'failed',
          evidence: { ...answer.evidence, ...(note && { note }) },
        },
        ms,
      );
    }

    const sdkId = `sdk-client@${revision}`;
    const sdkTitle = `The official MCP client connects (${revision}) and lists tools`;
    if (remaining() < 500) outOfTime(sdkId, sdkTitle, revision);
    else {
      const r = await ports.probe.sdkListTools(revision);
      add(
        {
          id: sdkId,
          title: sdkTitle,
          revision,
          status: r.ok ? 'passed' : 'failed',
          evidence: r.ok ? { note: `${r.tools} tools` } : { note: r.error },
        },
        r.ms,
      );
    }
  }

  // --- malformed input ----------------------------------------------------------------------------------

  const revision = revisions[0];
  if (revision) {
    const title = 'A malformed body answers -32700 (parse error)';
    if (remaining() < 500) outOfTime('parse-error', title, revision);
    else {
      const x = await ports.probe.send({
        body: '{"jsonrpc": "2.0", "id": 1, "method": ',
        revision,
        method: 'tools/list',
        ...(sessionId && { sessionId }),
      });
      const code = (x.message as { error?: { code?: unknown } } | undefined)?.error?.code;
      const passed = code === -32700 && x.httpStatus !== undefined && x.httpStatus < 500;
      add(
        {
          id: 'parse-error',
          title,
          revision,
          status: passed ? 'passed' : 'failed',
          evidence: {
            ...evidenceOf('malformed JSON', x),
            ...(!passed && !x.failure && { note: `Expected a JSON-RPC error -32700, got ${code === undefined ? 'none' : code}` }),
          },
        },
        x.ms,
      );
    }
  }

  if (sessionId) await ports.probe.endSession(sessionId).catch(() => undefined);

  const count = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  const summary = { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
  return { protocol: 'mcp', url: input.url, passed: summary.failed === 0, summary, revisions, checks };
};
