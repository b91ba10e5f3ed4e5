/**
 * Runs the tool calls a model asks for. Whatever goes wrong (a tool that does not exist, arguments that are
 * not JSON or do not fit the schema, a tool that throws or takes too long) comes back as an error result
 * the model reads on its next turn, so a bad call costs one step, never the run.
 */
import type { ToolCall, ToolDefinition } from '../models/model.types.ts';
import { fieldErrorsOf } from '#shared/errors.ts';
import type { RemoteTools } from './remote-tools.port.ts';
import { ToolError } from './tool.errors.ts';
import { toModelSchema } from './tool.schema.ts';
import type { Tool, ToolContext, ToolFailure, ToolInfo, ToolResult } from './tool.types.ts';

/** Well inside a tool task's Lambda timeout, so the task can still record the result. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** What providers take at most in one request (OpenAI's limit). */
export const MAX_TOOLS_PER_REQUEST = 128;

export interface ToolRunnerOptions {
  defaultTimeoutMs?: number;
  /** Tools named by reference in an agent's tool list (`mcp:<serverId>`), offered and run next to the built-ins. */
  remote?: RemoteTools;
  /** A reference that could not contribute its tools to a model call (a server gone, disabled or failing). */
  onUnavailable?: (ref: string, reason: string) => void;
}

export interface ToolRunner {
  /** The catalog, for `GET /v1/tools`. */
  listTools(): ToolInfo[];
  has(name: string): boolean;
  needsApproval(name: string): boolean;
  /** The definitions to hand the model: all tools, or the named ones (unknown names are skipped). */
  definitions(names?: readonly string[]): ToolDefinition[];
  /**
   * The built-in definitions for an agent's tool list plus the tools its references stand for (asked of the
   * remote servers now); a reference that fails costs only its own tools.
   */
  definitionsFor(tenantId: string, names: readonly string[], signal?: AbortSignal): Promise<ToolDefinition[]>;
  /** Whether an agent tool entry is a reference (`mcp:<serverId>`) rather than a built-in's name. */
  isRef(name: string): boolean;
  runToolCall(toolCall: ToolCall, ctx: ToolContext): Promise<ToolResult>;
}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const createToolRunner = (tools: readonly Tool[], options: ToolRunnerOptions = {}): ToolRunner => {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const byName = new Map<string, { tool: Tool; info: ToolInfo }>();
  for (const tool of tools) {
    if (!TOOL_NAME.test(tool.name)) throw new TypeError(`tool name "${tool.name}" must match ${TOOL_NAME}`);
    if (byName.has(tool.name)) throw new TypeError(`two tools are named "${tool.name}"`);
    byName.set(tool.name, {
      tool,
      info: { name: tool.name, description: tool.description, inputSchema: toModelSchema(tool.input), needsApproval: tool.needsApproval === true },
    });
  }

  const runToolCall = async (call: ToolCall, ctx: ToolContext): Promise<ToolResult> => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const fail = (error: ToolFailure): ToolResult => ({ ok: false, error, durationMs: elapsed() });

    const entry = byName.get(call.name);
    const remote = options.remote;
    if (!entry && remote?.isToolName(call.name) && ctx.allowedTools?.some((name) => remote.isRef(name))) {
      return runRemote(remote, call, ctx, fail, elapsed);
    }
    const allowed = ctx.allowedTools ? ctx.allowedTools.filter((name) => byName.has(name)) : [...byName.keys()];
    if (!entry || !allowed.includes(call.name)) {
      return fail({ type: 'unknown_tool', message: `There is no tool named "${call.name}". Available tools: ${allowed.join(', ') || 'none'}.` });
    }
    const { tool } = entry;

    if (call.parseError !== undefined) {
      return fail({
        type: 'invalid_arguments',
        message: `The arguments for ${tool.name} could not be read: ${call.parseError}. Send a JSON object.`,
      });
    }
    const parsed = tool.input.safeParse(call.parsed);
    if (!parsed.success) {
      const fields = fieldErrorsOf(parsed.error, [], '(arguments)');
      const list = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
      return fail({ type: 'invalid_arguments', message: `Invalid arguments for ${tool.name}: ${list}.`, fields });
    }

    if (tool.needsApproval && ctx.approval?.toolCallId !== call.id) {
      // The orchestration pauses before such a call; reaching here without a decision is a wiring mistake.
      return fail({ type: 'approval_required', message: `${tool.name} needs a human's approval before it runs.` });
    }
    if (ctx.signal.aborted) return fail({ type: 'aborted', message: `${tool.name} was not run: the execution was stopped.` });

    // The tool gets its own signal so that it is told to stop on timeout as well as on cancellation; a tool
    // that ignores its signal is abandoned (its result discarded), not waited for.
    const timeoutMs = tool.timeoutMs ?? defaultTimeoutMs;
    const controller = new AbortController();
    // The task's deadline (a timeout signal) is not a stopped execution: the model reads which one it was.
    const onOuterAbort = () =>
      controller.abort(
        (ctx.signal.reason as Error | undefined)?.name === 'TimeoutError'
          ? new ToolError('timeout', `${tool.name} did not finish before the task ran out of time.`)
          : new ToolError('aborted', `${tool.name} was stopped: the execution was stopped.`),
      );
    ctx.signal.addEventListener('abort', onOuterAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new ToolError('timeout', `${tool.name} did not finish within ${timeoutMs} ms.`)), timeoutMs);
    const stopped = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });

    let output: unknown;
    try {
      output = await Promise.race([Promise.resolve().then(() => tool.run(parsed.data, { ...ctx, signal: controller.signal })), stopped]);
    } catch (error) {
      if (error instanceof ToolError) return fail({ type: error.type, message: error.message });
      return fail({ type: 'tool_failed', message: `${tool.name} failed: ${describeError(error)}` });
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onOuterAbort);
    }

    let json: string | undefined;
    try {
      json = JSON.stringify(output ?? null);
    } catch (error) {
      return fail({ type: 'invalid_output', message: `${tool.name} returned a value that is not JSON: ${describeError(error)}` });
    }
    if (json === undefined) return fail({ type: 'invalid_output', message: `${tool.name} returned a value that is not JSON.` });
    // Round-tripped so the caller stores exactly what the model will see (dates as strings, no undefined).
    return { ok: true, output: JSON.parse(json) as unknown, outputBytes: Buffer.byteLength(json), durationMs: elapsed() };
  };

  const definitions = (names?: readonly string[]): ToolDefinition[] =>
    (names ?? [...byName.keys()]).flatMap((name) => {
      const entry = byName.get(name);
      return entry ? [{ name, description: entry.info.description, parameters: entry.info.inputSchema }] : [];
    });

  return {
    listTools: () => [...byName.values()].map(({ info }) => info),
    isRef: (name) => options.remote?.isRef(name) === true,
    definitionsFor: async (tenantId, names, signal) => {
      const builtin = definitions(names);
      const remote = options.remote;
      if (!remote || !names.some((name) => remote.isRef(name))) return builtin;
      let listed: Awaited<ReturnType<RemoteTools['definitions']>>;
      try {
        listed = await remote.definitions(tenantId, names, signal);
      } catch (error) {
        options.onUnavailable?.(names.filter((n) => remote.isRef(n)).join(', '), describeError(error));
        return builtin;
      }
      for (const { ref, reason } of listed.unavailable) options.onUnavailable?.(ref, reason);
      const taken = new Set(builtin.map((d) => d.name));
      const extra = listed.definitions.filter((d) => !taken.has(d.name) && TOOL_NAME.test(d.name));
      return [...builtin, ...extra].slice(0, MAX_TOOLS_PER_REQUEST);
    },
    has: (name) => byName.has(name),
    needsApproval: (name) => byName.get(name)?.info.needsApproval === true,
    definitions,
    runToolCall,
  };
};

/**
 * A call of a remote tool: the server validates the arguments against its own schema and bounds the call
 * with its own timeout; whatever goes wrong comes back as an error result, as for the built-ins.
 */
const runRemote = async (
  remote: RemoteTools,
  call: ToolCall,
  ctx: ToolContext,
  fail: (error: ToolFailure) => ToolResult,
  elapsed: () => number,
): Promise<ToolResult> => {
  if (call.parseError !== undefined) {
    return fail({ type: 'invalid_arguments', message: `The arguments for ${call.name} could not be read: ${call.parseError}. Send a JSON object.` });
  }
  if (ctx.signal.aborted) return fail({ type: 'aborted', message: `${call.name} was not run: the execution was stopped.` });
  let outcome: Awaited<ReturnType<RemoteTools['call']>>;
  try {
    outcome = await remote.call(ctx.tenantId, ctx.allowedTools ?? [], call.name, call.parsed ?? {}, ctx.signal);
  } catch (error) {
    return fail({ type: 'upstream_error', message: `${call.name} failed: ${describeError(error)}` });
  }
  if (!outcome.ok) {
    if (ctx.signal.aborted) return fail({ type: 'aborted', message: `${call.name} was stopped: the execution was stopped.` });
    return fail({ type: outcome.error.type, message: outcome.error.message });
  }
  const json = JSON.stringify(outcome.output ?? null);
  return { ok: true, output: JSON.parse(json) as unknown, outputBytes: Buffer.byteLength(json), durationMs: elapsed() };
};
