/**
 * The agent loop's steps, one use case per Step Functions task: prepare, call the model, run one tool
 * call, park for approval, record a failure. Each reads what it needs from PostgreSQL by execution id
 * (the state machine carries ids only) and writes its step record and events in one unit of work
 * (`whileActive`), which does nothing once the execution has ended.
 *
 * A cancel (or any other end of the run) must also stop work already under way: in AWS, StopExecution stops
 * the state machine but not a Lambda that is running, so the model and tool calls watch the execution and
 * abort themselves when it stops.
 */
import { randomBytes } from 'node:crypto';
import type { ModelMessage, ModelProvider, ModelProviderName, ModelResponse, ToolCall, UserContentPart } from '../models/model.types.ts';
import type { FilesPort } from '../tools/files.port.ts';
import type { ToolRunner } from '../tools/tool.runner.ts';
import type { ToolResult } from '../tools/tool.types.ts';
import { ExecutionContextError, ProviderNotConfiguredError } from './execution.errors.ts';
import type { NewChannelEvent } from '#shared/channel-events.ts';
import {
  INLINE_OUTPUT_BYTES,
  type AgentLoopStore,
  isTerminal,
  type AgentDefinition,
  type ExecutionError,
  type ExecutionRecord,
  type StoredMessage,
  type ToolStepInput,
  type TurnResult,
  type TurnToolCall,
} from './execution.ts';
import { MAX_OUTPUT_TOKENS, MODEL_CALL_TIMEOUT_SECONDS } from '../agents.contracts.ts';
import { TokenBatcher } from './token-batcher.ts';

/** The largest image handed to a model (Anthropic's per-image limit). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export interface AgentLoopDeps {
  repo: AgentLoopStore;
  providers: (name: ModelProviderName) => ModelProvider;
  /** False when the provider has neither a key nor a custom base URL (`unset` placeholder). */
  providerConfigured: (name: ModelProviderName) => boolean;
  tools: ToolRunner;
  files: FilesPort;
  tokenBatch?: { intervalMs?: number; maxChars?: number };
  /**
   * How often a model or tool call under way checks whether its execution was cancelled (or ended otherwise).
   * One indexed read per interval and call; it bounds how long a cancelled call goes on. Default 500 ms.
   */
  stopPollMs?: number;
  onWarning?: (message: string, error: unknown) => void;
  /** What operators watch (metrics per tenant and model, the stage's event bus); told after each commit. */
  observer?: ExecutionObserver;
}

/** The loop's outcomes as operations see them: model usage, and executions that ended. */
export interface ExecutionObserver {
  modelTurn(turn: { tenantId: string; provider: string; model: string; inputTokens: number; outputTokens: number }): void;
  finished(execution: {
    tenantId: string;
    executionId: string;
    agentId: string;
    model: string;
    /** Every terminal status; a state or task timeout ends the run as `failed` (error type `States.Timeout`). */
    status: 'succeeded' | 'failed' | 'cancelled';
    inputTokens: number;
    outputTokens: number;
    stepCount: number;
    error?: ExecutionError;
  }): Promise<void>;
}

/** Why a call was aborted when its execution stopped under it. */
class ExecutionStoppedError extends Error {
  override readonly name = 'ExecutionStoppedError';
}

/** A signal that fires once the execution was cancelled or ended, until `end()`; polled, see `stopPollMs`. */
interface StopWatch {
  signal: AbortSignal;
  stopped(): boolean;
  end(): void;
}

export interface TaskInput {
  executionId: string;
  tenantId: string;
}

const NO_TURN: TurnResult = { next: 'end', toolCalls: [] };

/**
 * Token events carry the id of the model call (attempt) they came from: when an attempt breaks and the retry
 * streams again, a client showing the text live drops what an earlier attempt sent, even when that attempt's
 * failed step could not be recorded (the database was down).
 */
const tokenEvents = (attempt: string, text: string): NewChannelEvent[] => (text ? [{ kind: 'execution.token', data: { text, attempt } }] : []);

const errorOf = (error: unknown): ExecutionError => ({
  type: error instanceof Error ? error.name : 'Error',
  message: error instanceof Error ? error.message : String(error),
});

export const executionKey = (tenantId: string, executionId: string, name: string): string => `tenants/${tenantId}/executions/${executionId}/${name}`;

export class AgentLoop {
  readonly #d: AgentLoopDeps;

  constructor(deps: AgentLoopDeps) {
    this.#d = deps;
  }

  async #context(input: TaskInput): Promise<{ execution: ExecutionRecord; agent: AgentDefinition }> {
    const found = await this.#d.repo.findWithAgent(input.tenantId, input.executionId);
    if (!found) throw new ExecutionContextError(`Execution ${input.executionId} does not exist`);
    const { execution, agent } = found;
    if (!agent) throw new ExecutionContextError(`Version ${execution.agentVersion} of agent ${execution.agentId} does not exist`);
    return { execution, agent };
  }

  /** Checks what would make every model call fail, then queued -> running and `execution.started`. */
  async prepare(input: TaskInput): Promise<void> {
    const { execution, agent } = await this.#context(input);
    const provider = agent.model.provider;
    if (!this.#d.providerConfigured(provider)) {
      const env = provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
      throw new ProviderNotConfiguredError(
        `The ${provider} provider is not configured: set ${env} (or ${provider.toUpperCase()}_BASE_URL for a compatible server).`,
      );
    }
    await this.#d.repo.whileActive(input.tenantId, execution.id, async (w) => {
      if (await w.markRunning()) {
        await w.emit([{ kind: 'execution.started', data: { agentId: execution.agentId, agentVersion: execution.agentVersion, model: agent.model } }]);
      }
    });
  }

  /**
   * One loop iteration's decision and model call. The cancel and step-limit checks live here rather than
   * in states of their own: each state transition is billed, and this task reads the execution anyway.
   */
  async callModel(input: TaskInput, signal?: AbortSignal): Promise<TurnResult> {
    // The conversation is read alongside (by id; used only once the tenant's execution was found): one wait, not two.
    const [{ execution, agent }, stored] = await Promise.all([this.#context(input), this.#d.repo.messages(input.executionId)]);
    if (isTerminal(execution.status) || execution.cancelRequestedAt) return NO_TURN;
    if (execution.stepCount >= agent.maxSteps) {
      await this.#fail(execution, agent.model.name, {
        type: 'StepLimitReached',
        message: `The agent made ${execution.stepCount} model calls, its limit (maxSteps ${agent.maxSteps}), without a final answer.`,
      });
      return { next: 'failed', toolCalls: [] };
    }

    const messages = await this.#conversation(agent, stored);
    // Remote MCP servers the agent lists are asked for their tools now; one that fails only loses its own.
    const toolDefinitions = await this.#d.tools.definitionsFor(input.tenantId, agent.tools, signal);
    const request = {
      model: agent.model.name,
      messages,
      ...(toolDefinitions.length > 0 && { tools: toolDefinitions }),
      ...(agent.model.temperature !== undefined && { temperature: agent.model.temperature }),
      // Agents stored before the bound existed may ask for more than a call's time allows.
      ...(agent.model.maxTokens !== undefined && { maxTokens: Math.min(agent.model.maxTokens, MAX_OUTPUT_TOKENS) }),
    };
    const stepInput = { messageCount: messages.length, tools: toolDefinitions.map((t) => t.name) };
    const attempt = randomBytes(6).toString('base64url');
    const batcher = new TokenBatcher({
      ...this.#d.tokenBatch,
      flush: async (text) => {
        await this.#d.repo.emitWhileActive(input.tenantId, execution.id, tokenEvents(attempt, text));
      },
      onError: (error) => this.#d.onWarning?.('token batch not published yet; it is kept and tried again', error),
    });
    const watch = this.#watchStop(execution.id, signal);
    const startedAt = new Date();
    let response: ModelResponse;
    try {
      // The task's own deadline (in watch.signal) is the one that binds: no shorter provider default cuts a long answer.
      response = await this.#d.providers(agent.model.provider).generate(request, {
        onToken: (t) => batcher.push(t),
        signal: watch.signal,
        timeoutMs: MODEL_CALL_TIMEOUT_SECONDS * 1000,
      });
    } catch (error) {
      watch.end();
      // Cancelled (or ended) while the model answered: the call is abandoned and nothing of it is kept.
      if (watch.stopped()) {
        await batcher.discard();
        return NO_TURN;
      }
      const rest = await batcher.close();
      // Every attempt shows in the steps list; Step Functions decides whether to retry.
      const error_ = errorOf(error);
      const recorded = await this.#d.repo.whileActive(input.tenantId, execution.id, async (w) => {
        const stepNo = await w.recordFailedModelStep({
          provider: agent.model.provider,
          model: agent.model.name,
          input: stepInput,
          output: null,
          error: error_,
          inputTokens: 0,
          outputTokens: 0,
          latencyMs: Date.now() - startedAt.getTime(),
          startedAt,
        });
        await w.emit([
          ...tokenEvents(attempt, rest),
          {
            kind: 'execution.step',
            data: { stepNo, kind: 'model', attempt, provider: agent.model.provider, model: agent.model.name, error: error_ },
          },
        ]);
        return true;
      });
      // An execution that ended meanwhile (a timeout's MarkFailed, a cancel) has nothing left to retry.
      if (!recorded) return NO_TURN;
      throw error;
    }
    watch.end();
    if (watch.stopped()) {
      await batcher.discard();
      return NO_TURN;
    }
    const rest = await batcher.close();

    const toolCalls = response.toolCalls;
    const needsApproval = (call: ToolCall) =>
      call.parseError === undefined && agent.tools.includes(call.name) && this.#d.tools.needsApproval(call.name);
    const model = response.model || agent.model.name;
    const usage = { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens };
    let succeeded = false;
    // The turn, its events and (for a final answer) the outcome commit together: a retried task never finds
    // half a turn, and a cancel that came first leaves nothing of it.
    const turn = await this.#d.repo.whileActive(input.tenantId, execution.id, async (w): Promise<TurnResult> => {
      const { stepNo, messageIdx, toolStepNos } = await w.recordModelTurn(
        {
          provider: agent.model.provider,
          model,
          input: stepInput,
          output: {
            text: response.text,
            toolCalls: toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.parsed ?? c.arguments })),
            stopReason: response.stopReason,
          },
          error: null,
          ...usage,
          latencyMs: Math.round(response.latencyMs),
          startedAt,
        },
        { text: response.text, toolCalls: toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) },
        toolCalls.map((c) => ({
          toolName: c.name,
          toolCallId: c.id,
          input: (c.parseError === undefined
            ? { arguments: c.parsed }
            : { rawArguments: c.arguments, parseError: c.parseError }) satisfies ToolStepInput,
        })),
      );
      await w.emit([
        ...tokenEvents(attempt, rest),
        {
          kind: 'execution.step',
          data: {
            stepNo,
            kind: 'model',
            attempt,
            provider: agent.model.provider,
            model,
            ...usage,
            latencyMs: Math.round(response.latencyMs),
            stopReason: response.stopReason,
          },
        },
        ...toolCalls.map((c, i) => ({
          kind: 'execution.tool_call',
          data: {
            stepNo: toolStepNos[i],
            toolCallId: c.id,
            name: c.name,
            arguments: c.parsed ?? null,
            ...(c.parseError !== undefined && { parseError: c.parseError }),
            needsApproval: needsApproval(c),
          },
        })),
      ]);
      if (toolCalls.length === 0) {
        const output = { text: response.text };
        await w.finish('succeeded', { output });
        await w.emit([{ kind: 'execution.succeeded', data: { output } }]);
        succeeded = true;
        return NO_TURN;
      }
      const calls: TurnToolCall[] = toolCalls.map((c, i) => ({ id: c.id, name: c.name, stepNo: toolStepNos[i]!, messageIdx: messageIdx + 1 + i }));
      return { next: toolCalls.some(needsApproval) ? 'approval' : 'tools', toolCalls: calls };
    });
    if (turn !== undefined) {
      this.#d.observer?.modelTurn({ tenantId: input.tenantId, provider: agent.model.provider, model, ...usage });
      if (succeeded) {
        await this.#d.observer?.finished({
          tenantId: input.tenantId,
          executionId: execution.id,
          agentId: execution.agentId,
          model,
          status: 'succeeded',
          inputTokens: execution.inputTokens + usage.inputTokens,
          outputTokens: execution.outputTokens + usage.outputTokens,
          stepCount: execution.stepCount + 1,
        });
      }
    }
    return turn ?? NO_TURN;
  }

  /** Runs one tool call of the turn; every failure becomes an error result the model reads. */
  async runTool(input: TaskInput & { call: TurnToolCall }, signal: AbortSignal): Promise<{ ok: boolean }> {
    const { call } = input;
    // The step (the call's arguments) is read alongside the context, by id; it is used only once the context was found.
    const [{ execution, agent }, step] = await Promise.all([this.#context(input), this.#d.repo.step(input.executionId, call.stepNo)]);
    if (!step || step.toolCallId !== call.id) throw new ExecutionContextError(`Step ${call.stepNo} of ${execution.id} is not tool call ${call.id}`);
    const stored = step.input as ToolStepInput;
    const toolCall: ToolCall =
      'arguments' in stored
        ? { id: call.id, name: call.name, arguments: JSON.stringify(stored.arguments), parsed: stored.arguments }
        : { id: call.id, name: call.name, arguments: stored.rawArguments, parseError: stored.parseError };

    const startedAt = new Date();
    let result: ToolResult;
    const watch = this.#watchStop(execution.id, signal);
    try {
      if (isTerminal(execution.status) || execution.cancelRequestedAt) {
        result = { ok: false, error: { type: 'aborted', message: `${call.name} was not run: the execution was stopped.` }, durationMs: 0 };
      } else {
        const decision = this.#d.tools.needsApproval(call.name) ? await this.#d.repo.approval(execution.id, call.id) : undefined;
        if (decision && !decision.approved) {
          // A rejected call is never run; the model reads the refusal (and the reviewer's comment) as an error.
          const comment = decision.comment ? `: ${decision.comment}` : '.';
          result = {
            ok: false,
            error: { type: 'rejected', message: `A human (${decision.decidedBy}) rejected this call of ${call.name}${comment}` },
            durationMs: 0,
          };
        } else {
          result = await this.#d.tools.runToolCall(toolCall, {
            tenantId: execution.tenantId,
            executionId: execution.id,
            signal: watch.signal,
            files: this.#d.files,
            allowedTools: agent.tools,
            ...(decision && {
              approval: {
                toolCallId: call.id,
                approved: true,
                decidedBy: decision.decidedBy,
                ...(decision.comment && { comment: decision.comment }),
              },
            }),
          });
        }
      }
    } finally {
      watch.end();
    }
    // Stopped while the tool ran: the result belongs to no run any more (and the unit below would refuse it).
    if (watch.stopped()) return { ok: false };

    const text = JSON.stringify(result.ok ? result.output : { error: result.error });
    let outputRef: string | null = null;
    if (result.ok && Buffer.byteLength(text) > INLINE_OUTPUT_BYTES) {
      outputRef = executionKey(execution.tenantId, execution.id, `steps/${call.stepNo}.json`);
      await this.#d.files.write(outputRef, Buffer.from(text), { contentType: 'application/json' });
    }
    const recorded = await this.#d.repo.whileActive(input.tenantId, execution.id, async (w) => {
      await w.recordToolResult(
        call.stepNo,
        call.messageIdx,
        {
          output: result.ok && outputRef === null ? result.output : null,
          outputRef,
          error: result.ok ? null : { type: result.error.type, message: result.error.message },
          latencyMs: result.durationMs,
          startedAt,
        },
        { toolCallId: call.id, name: call.name, isError: !result.ok, ...(outputRef ? { contentRef: outputRef } : { text }) },
      );
      await w.emit([
        {
          kind: 'execution.tool_result',
          data: {
            stepNo: call.stepNo,
            toolCallId: call.id,
            name: call.name,
            ok: result.ok,
            ...(result.ok ? (outputRef ? { outputRef } : { output: result.output }) : { error: result.error }),
          },
        },
        { kind: 'execution.step', data: { stepNo: call.stepNo, kind: 'tool', toolName: call.name, latencyMs: result.durationMs, ok: result.ok } },
      ]);
      return true;
    });
    return { ok: recorded === true && result.ok };
  }

  /** Parks the run on `token` with the next call that needs a decision. */
  async waitForApproval(input: TaskInput & { taskToken: string }): Promise<void> {
    const { execution } = await this.#context(input);
    const [next] = await this.#d.repo.undecidedCalls(execution.id, (name) => this.#d.tools.needsApproval(name));
    if (!next) throw new ExecutionContextError(`Execution ${execution.id} has no tool call waiting for approval`);
    await this.#d.repo.whileActive(input.tenantId, execution.id, async (w) => {
      if (await w.waitForApproval(input.taskToken, next)) await w.emit([{ kind: 'execution.waiting_approval', data: next }]);
    });
  }

  /** The Catch target: a readable reason from the Step Functions error, stored once. */
  async markFailed(input: TaskInput & { error?: { Error?: string; Cause?: string } }): Promise<void> {
    const execution = await this.#d.repo.find(input.tenantId, input.executionId);
    if (!execution) return;
    const agent = await this.#d.repo.agentVersion(execution.tenantId, execution.agentId, execution.agentVersion).catch(() => undefined);
    await this.#fail(execution, agent?.model.name ?? 'unknown', readableError(input.error));
  }

  async #fail(execution: ExecutionRecord, model: string, error: ExecutionError): Promise<void> {
    let failed = false;
    await this.#d.repo.whileActive(execution.tenantId, execution.id, async (w) => {
      await w.finish('failed', { error });
      await w.emit([{ kind: 'execution.failed', data: { error } }]);
      failed = true;
    });
    if (failed) {
      await this.#d.observer?.finished({
        tenantId: execution.tenantId,
        executionId: execution.id,
        agentId: execution.agentId,
        model,
        status: 'failed',
        inputTokens: execution.inputTokens,
        outputTokens: execution.outputTokens,
        stepCount: execution.stepCount,
        error,
      });
    }
  }

  /**
   * Watches the execution while a call is under way: the returned signal fires when `outer` does (the task's
   * deadline) or once the execution was cancelled or ended (polled every `stopPollMs`).
   */
  #watchStop(executionId: string, outer: AbortSignal | undefined): StopWatch {
    const stop = new AbortController();
    const every = this.#d.stopPollMs ?? 500;
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    const check = async () => {
      try {
        if (await this.#d.repo.stopRequested(executionId)) {
          stop.abort(new ExecutionStoppedError(`execution ${executionId} was cancelled or has ended`));
          return;
        }
      } catch (error) {
        // The store unreachable for a moment is no reason to stop; the next check decides.
        this.#d.onWarning?.('could not check whether the execution was cancelled', error);
      }
      if (!over) timer = setTimeout(check, every).unref();
    };
    timer = setTimeout(check, every).unref();
    return {
      signal: outer ? AbortSignal.any([outer, stop.signal]) : stop.signal,
      stopped: () => stop.signal.aborted,
      end: () => {
        over = true;
        clearTimeout(timer);
      },
    };
  }

  async #conversation(agent: AgentDefinition, stored: StoredMessage[]): Promise<ModelMessage[]> {
    const out: ModelMessage[] = agent.systemPrompt ? [{ role: 'system', content: agent.systemPrompt }] : [];
    for (const m of stored) {
      if (m.role === 'user') {
        if (!m.content.images?.length) {
          out.push({ role: 'user', content: m.content.text ?? '' });
          continue;
        }
        const parts: UserContentPart[] = m.content.text ? [{ type: 'text', text: m.content.text }] : [];
        for (const image of m.content.images) {
          const file = await this.#d.files.read(image.key, { maxBytes: MAX_IMAGE_BYTES });
          if (!file) throw new ExecutionContextError(`Image ${image.fileId} is no longer stored`);
          parts.push({ type: 'image', data: file.content, mediaType: image.mediaType });
        }
        out.push({ role: 'user', content: parts });
      } else if (m.role === 'assistant') {
        out.push({ role: 'assistant', content: m.content.text, ...(m.content.toolCalls.length > 0 && { toolCalls: m.content.toolCalls }) });
      } else {
        let content = m.content.text ?? '';
        if (m.content.contentRef) {
          const file = await this.#d.files.read(m.content.contentRef, { maxBytes: 16 * 1024 * 1024 });
          content = file ? Buffer.from(file.content).toString('utf8') : '{"error":"the stored output is gone"}';
        }
        out.push({ role: 'tool', toolCallId: m.content.toolCallId, name: m.content.name, content, ...(m.content.isError && { isError: true }) });
      }
    }
    return out;
  }
}

const REASONS: Record<string, string> = {
  ModelThrottledError: 'The model provider kept rate-limiting the request, retries included',
  ModelUnavailableError: 'The model provider failed, retries included',
  ModelTimeoutError: 'The model did not answer in time, retries included',
  ModelRequestError: 'The model provider refused the request',
  DatabaseUnavailableError: 'The database stayed unreachable, retries included',
  'States.Timeout': 'A step of the execution timed out',
  'Sandbox.Timedout': 'A step of the execution timed out',
  // middy answers a few milliseconds before the Lambda's own timeout, so this is how a task's timeout arrives.
  TimeoutError: 'A step of the execution timed out',
};

/** middy's early-timeout message says nothing the reason does not. */
const GENERIC_DETAIL = /^\[AbortError\]: The operation was aborted\.?$/;

/** Step Functions hands Catch `{ Error, Cause }`; a Lambda error's Cause is JSON with `errorMessage`. */
export const readableError = (caught: { Error?: string; Cause?: string } | undefined): ExecutionError => {
  const type = caught?.Error ?? 'Error';
  let detail = caught?.Cause ?? '';
  try {
    const parsed = JSON.parse(detail) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') detail = parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  if (GENERIC_DETAIL.test(detail)) detail = '';
  const prefix = REASONS[type];
  const message = prefix ? (detail ? `${prefix}: ${detail}` : prefix) : detail || type;
  return { type, message: message.slice(0, 2000) };
};
