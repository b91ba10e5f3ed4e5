/**
 * In-memory stand-ins for the agent loop's ports, so its use cases run in milliseconds without
 * PostgreSQL, S3 or a model server. Each fake keeps the contract of the real adapter where the loop relies
 * on it (the rules that matter are commented); anything the loop does not use is left out.
 */
import type { NewChannelEvent } from '#shared/channel-events.ts';
import { toStoredJson } from '#shared/stored-json.ts';
import {
  isTerminal,
  type AgentDefinition,
  type AgentLoopStore,
  type ExecutionError,
  type ExecutionInput,
  type ExecutionRecord,
  type ExecutionRepository,
  type ExecutionStatus,
  type ExecutionWriter,
  type NewModelStep,
  type NewToolStep,
  type PendingToolCall,
  type StepRecord,
  type StoredMessage,
  type ToolStepResult,
} from '#functions/agents/executions/execution.ts';
import type { TaskInput } from '#functions/agents/executions/agent-loop.service.ts';
import { ModelTimeoutError } from '#functions/agents/models/model.errors.ts';
import type {
  GenerateOptions,
  ModelProvider,
  ModelProviderName,
  ModelRequest,
  ModelResponse,
  ModelUsage,
  StopReason,
  ToolCallRequest,
} from '#functions/agents/models/model.types.ts';
import { parseToolCall } from '#functions/agents/providers/provider.support.ts';
import type { FileListing, FilesPort, StoredFile } from '#functions/agents/tools/files.port.ts';
import { ToolTooLargeError } from '#functions/agents/tools/tool.errors.ts';

/**
 * What a jsonb column gives back: the value as `toStoredJson` writes it, parsed again (undefined dropped,
 * Dates as strings, unstorable characters replaced). Storing a live reference instead would let a test
 * pass on state the database could never hold.
 */
const asJsonb = <T>(value: T): T => JSON.parse(toStoredJson(value)) as T;
/** A nullable jsonb column: undefined and null both become NULL, like the repository's `json()` helper. */
const asNullableJsonb = (value: unknown): unknown => (value === undefined || value === null ? null : asJsonb(value));

type AssistantContent = Extract<StoredMessage, { role: 'assistant' }>['content'];
type ToolContent = Extract<StoredMessage, { role: 'tool' }>['content'];
type Approval = { approved: boolean; decidedBy: string; comment: string | null };

interface ExecutionState {
  record: ExecutionRecord;
  /** `executions.last_step_no`: step numbers are reserved from it, failed model attempts included. */
  lastStepNo: number;
  pendingTaskToken: string | null;
  steps: Map<number, StepRecord>;
  /** By `idx`; tool results land at the index their model turn reserved, so gaps can exist for a while. */
  messages: Map<number, StoredMessage>;
  approvals: Map<string, Approval>;
}

export interface SeedOptions {
  tenantId?: string;
  agent?: Partial<Omit<AgentDefinition, 'model'>> & { model?: Partial<AgentDefinition['model']> };
  execution?: Partial<Pick<ExecutionRecord, 'status' | 'input' | 'stepCount' | 'cancelRequestedAt'>>;
}

export interface Seeded extends TaskInput {
  agent: AgentDefinition;
}

let seq = 0;

/**
 * The executions store in memory, with the units of work of `PgExecutionRepository`: `whileActive` runs one
 * unit at a time per execution, refuses once the execution has ended, and keeps a unit's writes and events
 * only if it completes (a unit that throws leaves the state as it was). Events of a completed unit go to the
 * `RecordingEvents` given. Also has the repository's `decide`, and `requestCancel` doing what the cancel route
 * does, so tests reach approval and cancel states the way production does rather than by poking fields.
 */
export class InMemoryExecutionStore implements AgentLoopStore, Pick<ExecutionRepository, 'decide'> {
  readonly #executions = new Map<string, ExecutionState>();
  /** By `tenant/agent/version`: an agent version is only visible to its tenant. */
  readonly #agents = new Map<string, AgentDefinition>();
  readonly #events: RecordingEvents;
  /** Per execution, the tail of its queue of units (PostgreSQL: the row lock). */
  readonly #units = new Map<string, Promise<unknown>>();

  constructor(events: RecordingEvents = new RecordingEvents()) {
    this.#events = events;
  }

  /** An agent version and an execution of it, with the first user message at idx 0 (as `create` does). */
  seed(options: SeedOptions = {}): Seeded {
    const tenantId = options.tenantId ?? 'tenant-a';
    const n = ++seq;
    const agent: AgentDefinition = {
      agentId: `agt_test${n}`,
      version: 1,
      systemPrompt: 'You are terse.',
      tools: [],
      maxSteps: 10,
      ...options.agent,
      model: { provider: 'openai', name: 'gpt-test', ...options.agent?.model },
    };
    this.#agents.set(`${tenantId}/${agent.agentId}/${agent.version}`, structuredClone(agent));
    const input: ExecutionInput = options.execution?.input ?? { text: 'What is the capital of France?' };
    const record: ExecutionRecord = {
      id: `exe_test${n}`,
      tenantId,
      agentId: agent.agentId,
      agentVersion: agent.version,
      status: 'queued',
      input,
      output: null,
      error: null,
      inputTokens: 0,
      outputTokens: 0,
      stepCount: 0,
      sfnExecutionArn: null,
      cancelRequestedAt: null,
      createdBy: 'user-test',
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
      pendingToolCall: null,
      ...options.execution,
    };
    this.#executions.set(record.id, {
      record,
      lastStepNo: 0,
      pendingTaskToken: null,
      steps: new Map(),
      messages: new Map([[0, asJsonb<StoredMessage>({ role: 'user', content: input })]]),
      approvals: new Map(),
    });
    return { executionId: record.id, tenantId, agent };
  }

  // --- read-back helpers for assertions (synchronous; not part of the port) ---

  execution(id: string): ExecutionRecord {
    return structuredClone(this.#state(id).record);
  }

  allSteps(id: string): StepRecord[] {
    return [...this.#state(id).steps.values()].sort((a, b) => a.stepNo - b.stepNo).map((s) => structuredClone(s));
  }

  storedMessages(id: string): StoredMessage[] {
    return [...this.#state(id).messages.entries()].sort(([a], [b]) => a - b).map(([, m]) => structuredClone(m));
  }

  pendingTaskToken(id: string): string | null {
    return this.#state(id).pendingTaskToken;
  }

  // --- AgentLoopStore (the writes below are what a unit of work does, see whileActive) ---

  /** A snapshot, as a SELECT returns: later writes do not show through an earlier read. */
  async find(tenantId: string, id: string): Promise<ExecutionRecord | undefined> {
    const state = this.#executions.get(id);
    return state && state.record.tenantId === tenantId ? structuredClone(state.record) : undefined;
  }

  async agentVersion(tenantId: string, agentId: string, version: number): Promise<AgentDefinition | undefined> {
    const agent = this.#agents.get(`${tenantId}/${agentId}/${version}`);
    return agent && structuredClone(agent);
  }

  async findWithAgent(tenantId: string, id: string): Promise<{ execution: ExecutionRecord; agent: AgentDefinition | undefined } | undefined> {
    const execution = await this.find(tenantId, id);
    return execution && { execution, agent: await this.agentVersion(tenantId, execution.agentId, execution.agentVersion) };
  }

  /** queued -> running only; false for a retried task or a run cancelled meanwhile. */
  async #markRunning(id: string): Promise<boolean> {
    const state = this.#executions.get(id);
    if (state?.record.status !== 'queued') return false;
    state.record.status = 'running';
    state.record.startedAt = new Date();
    return true;
  }

  /** Sets a terminal status unless one is set already, and then returns false (a cancel is never overwritten). */
  async #finish(id: string, status: 'succeeded' | 'failed' | 'cancelled', fields: { output?: unknown; error?: ExecutionError }): Promise<boolean> {
    const state = this.#executions.get(id);
    if (!state || isTerminal(state.record.status)) return false;
    const r = state.record;
    r.status = status;
    // Both columns are written on every finish: a field not given becomes NULL.
    r.output = asNullableJsonb(fields.output) as ExecutionRecord['output'];
    r.error = asNullableJsonb(fields.error) as ExecutionError | null;
    r.pendingToolCall = null;
    state.pendingTaskToken = null;
    r.finishedAt = new Date();
    if (status === 'cancelled') r.cancelRequestedAt ??= new Date();
    return true;
  }

  /** A failed attempt takes a step number but is not a model turn: `stepCount` (the maxSteps budget) stays. */
  async #recordFailedModelStep(id: string, step: NewModelStep): Promise<number> {
    const state = this.#state(id);
    const stepNo = this.#reserve(state, 1);
    state.steps.set(stepNo, this.#modelStep(id, stepNo, step));
    return stepNo;
  }

  /**
   * The model step, then one pending tool step per call numbered right after it in call order; the
   * assistant message goes after the last stored one. Usage and `stepCount` grow by this turn.
   */
  async #recordModelTurn(
    id: string,
    step: NewModelStep,
    message: AssistantContent,
    toolSteps: NewToolStep[],
  ): Promise<{ stepNo: number; messageIdx: number; toolStepNos: number[] }> {
    const state = this.#state(id);
    const stepNo = this.#reserve(state, 1 + toolSteps.length);
    state.steps.set(stepNo, this.#modelStep(id, stepNo, step));
    state.record.inputTokens += step.inputTokens;
    state.record.outputTokens += step.outputTokens;
    state.record.stepCount += 1;
    const messageIdx = Math.max(-1, ...state.messages.keys()) + 1;
    state.messages.set(messageIdx, asJsonb<StoredMessage>({ role: 'assistant', content: message }));
    const toolStepNos = toolSteps.map((_, i) => stepNo + 1 + i);
    for (const [i, t] of toolSteps.entries()) {
      const no = toolStepNos[i]!;
      state.steps.set(no, {
        executionId: id,
        stepNo: no,
        kind: 'tool',
        provider: null,
        model: null,
        toolName: t.toolName,
        toolCallId: t.toolCallId,
        input: asJsonb(t.input),
        output: null,
        outputRef: null,
        error: null,
        inputTokens: 0,
        outputTokens: 0,
        latencyMs: 0,
        // The column default; recordToolResult overwrites it. `finishedAt: null` is what marks it pending.
        startedAt: new Date(),
        finishedAt: null,
      });
    }
    return { stepNo, messageIdx, toolStepNos };
  }

  async whileActive<T>(tenantId: string, id: string, write: (writer: ExecutionWriter) => Promise<T>): Promise<T | undefined> {
    const previous = this.#units.get(id) ?? Promise.resolve();
    const unit = previous.then(() => this.#unit(tenantId, id, write));
    this.#units.set(
      id,
      unit.catch(() => undefined),
    );
    return unit;
  }

  /** A unit that only emits, as the repository's one-statement version does. */
  async emitWhileActive(tenantId: string, id: string, events: NewChannelEvent[]): Promise<boolean> {
    return (await this.whileActive(tenantId, id, async (w) => w.emit(events).then(() => true))) ?? false;
  }

  async #unit<T>(tenantId: string, id: string, write: (writer: ExecutionWriter) => Promise<T>): Promise<T | undefined> {
    const state = this.#executions.get(id);
    if (!state || state.record.tenantId !== tenantId || isTerminal(state.record.status)) return undefined;
    const before = structuredClone(state);
    const emitted: NewChannelEvent[] = [];
    const writer: ExecutionWriter = {
      execution: structuredClone(state.record),
      markRunning: () => this.#markRunning(id),
      finish: async (status, fields) => {
        await this.#finish(id, status, fields);
      },
      recordFailedModelStep: (step) => this.#recordFailedModelStep(id, step),
      recordModelTurn: (step, message, toolSteps) => this.#recordModelTurn(id, step, message, toolSteps),
      recordToolResult: (stepNo, messageIdx, result, message) => this.#recordToolResult(id, stepNo, messageIdx, result, message),
      waitForApproval: (token, call) => this.#waitForApproval(id, token, call),
      emit: async (events) => {
        emitted.push(...events);
      },
    };
    try {
      const value = await write(writer);
      this.#events.record(tenantId, id, emitted);
      return value;
    } catch (error) {
      // Rolled back: the unit's writes are gone, its events were never stored.
      this.#executions.set(id, before);
      throw error;
    }
  }

  async stopRequested(id: string): Promise<boolean> {
    const record = this.#executions.get(id)?.record;
    return !record || isTerminal(record.status) || record.cancelRequestedAt !== null;
  }

  async step(id: string, stepNo: number): Promise<StepRecord | undefined> {
    const step = this.#executions.get(id)?.steps.get(stepNo);
    return step && structuredClone(step);
  }

  async approval(id: string, toolCallId: string): Promise<Approval | undefined> {
    const approval = this.#executions.get(id)?.approvals.get(toolCallId);
    return approval && { ...approval };
  }

  /** Finishes the tool step and upserts its message at the reserved index (a retried task overwrites it). */
  async #recordToolResult(id: string, stepNo: number, messageIdx: number, result: ToolStepResult, message: ToolContent): Promise<void> {
    const state = this.#state(id);
    const step = state.steps.get(stepNo);
    // The UPDATE matches no row for an unknown step but the message is still written, as in PostgreSQL.
    if (step) {
      step.output = asNullableJsonb(result.output);
      step.outputRef = result.outputRef;
      step.error = asNullableJsonb(result.error) as ExecutionError | null;
      step.latencyMs = result.latencyMs;
      step.startedAt = result.startedAt;
      step.finishedAt = new Date();
    }
    state.messages.set(messageIdx, asJsonb<StoredMessage>({ role: 'tool', content: message }));
  }

  async messages(id: string): Promise<StoredMessage[]> {
    return this.#executions.has(id) ? this.storedMessages(id) : [];
  }

  /**
   * Unfinished tool steps after the latest successful model step, with no decision yet, whose arguments
   * parsed (a call that did not parse is never held for a human), in step order.
   */
  async undecidedCalls(
    id: string,
    needsApproval: (toolName: string) => boolean,
  ): Promise<Array<{ toolCallId: string; name: string; arguments: unknown }>> {
    const state = this.#executions.get(id);
    if (!state) return [];
    const steps = [...state.steps.values()];
    const lastTurn = Math.max(0, ...steps.filter((s) => s.kind === 'model' && s.error === null).map((s) => s.stepNo));
    return steps
      .filter((s) => s.kind === 'tool' && s.finishedAt === null && s.stepNo > lastTurn && !state.approvals.has(s.toolCallId!))
      .sort((a, b) => a.stepNo - b.stepNo)
      .filter((s) => needsApproval(s.toolName!) && (s.input as { arguments?: unknown }).arguments !== undefined)
      .map((s) => ({ toolCallId: s.toolCallId!, name: s.toolName!, arguments: (s.input as { arguments: unknown }).arguments }));
  }

  /** Only a running (or already waiting) execution parks; false once it is finished or cancelled. */
  async #waitForApproval(id: string, token: string, call: PendingToolCall): Promise<boolean> {
    const state = this.#executions.get(id);
    if (!state || !(['running', 'waiting_approval'] as ExecutionStatus[]).includes(state.record.status)) return false;
    state.record.status = 'waiting_approval';
    state.record.pendingToolCall = asJsonb(call);
    state.pendingTaskToken = token;
    return true;
  }

  // --- the REST side's transitions, for reaching states as production does ---

  /** Takes the token and records the decision for the pending call; undefined unless the run is parked. */
  async decide(
    tenantId: string,
    id: string,
    decision: { approved: boolean; decidedBy: string; comment?: string },
  ): Promise<{ token: string; call: PendingToolCall } | undefined> {
    const state = this.#executions.get(id);
    if (!state || state.record.tenantId !== tenantId) return undefined;
    const { record } = state;
    if (record.status !== 'waiting_approval' || state.pendingTaskToken === null || record.pendingToolCall === null) return undefined;
    const taken = { token: state.pendingTaskToken, call: record.pendingToolCall };
    record.status = 'running';
    record.pendingToolCall = null;
    state.pendingTaskToken = null;
    // ON CONFLICT DO NOTHING: the first decision on a call stands.
    if (!state.approvals.has(taken.call.toolCallId)) {
      state.approvals.set(taken.call.toolCallId, { approved: decision.approved, decidedBy: decision.decidedBy, comment: decision.comment ?? null });
    }
    return taken;
  }

  /** What the cancel route does: cancelled and `execution.cancelled` in one unit; false when already finished. */
  async requestCancel(tenantId: string, id: string, by = 'user-test'): Promise<boolean> {
    const done = await this.whileActive(tenantId, id, async (w) => {
      await w.finish('cancelled', {});
      await w.emit([{ kind: 'execution.cancelled', data: { by } }]);
      return true;
    });
    return done === true;
  }

  /**
   * Sets only `cancelRequestedAt`, leaving the status as it is. The repository sets both at once today;
   * this lets a test check that the loop honours the request time by itself.
   */
  flagCancelRequested(id: string): void {
    this.#state(id).record.cancelRequestedAt ??= new Date();
  }

  #state(id: string): ExecutionState {
    const state = this.#executions.get(id);
    if (!state) throw new Error(`no execution ${id} in the in-memory store`);
    return state;
  }

  #reserve(state: ExecutionState, n: number): number {
    state.lastStepNo += n;
    return state.lastStepNo - n + 1;
  }

  #modelStep(id: string, stepNo: number, s: NewModelStep): StepRecord {
    return {
      executionId: id,
      stepNo,
      kind: 'model',
      provider: s.provider,
      model: s.model,
      toolName: null,
      toolCallId: null,
      input: asJsonb(s.input),
      output: asNullableJsonb(s.output),
      outputRef: null,
      error: asNullableJsonb(s.error) as ExecutionError | null,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      latencyMs: s.latencyMs,
      startedAt: s.startedAt,
      finishedAt: new Date(),
    };
  }
}

export interface RecordedEvent {
  tenantId: string;
  executionId: string;
  kind: string;
  data: unknown;
}

/** Every committed event in order, with its data as the channel store keeps it (jsonb, `null` when absent). */
export class RecordingEvents {
  readonly emitted: RecordedEvent[] = [];

  record(tenantId: string, executionId: string, events: NewChannelEvent[]): void {
    for (const e of events) this.emitted.push({ tenantId, executionId, kind: e.kind, data: asJsonb(e.data ?? null) });
  }

  kinds(): string[] {
    return this.emitted.map((e) => e.kind);
  }

  ofKind(kind: string): RecordedEvent[] {
    return this.emitted.filter((e) => e.kind === kind);
  }
}

/**
 * One scripted model answer, or a failure the provider adapter would throw. `until`: stream the text, then hold
 * the answer until the promise settles, or end with `ModelTimeoutError` when the call is aborted meanwhile.
 */
export type ScriptedTurn =
  | { text?: string; toolCalls?: ToolCallRequest[]; usage?: ModelUsage; stopReason?: StopReason; model?: string; until?: Promise<unknown> }
  | { error: Error };

/** A tool call as the model sends it: raw argument text (pass a string to send text that is not JSON). */
export const toolCall = (id: string, name: string, args: Record<string, unknown> | string): ToolCallRequest => ({
  id,
  name,
  arguments: typeof args === 'string' ? args : JSON.stringify(args),
});

/**
 * A model provider that answers from a queue. Like the real adapters it streams the text through
 * `onToken` in fragments before resolving, parses tool arguments with the adapters' `parseToolCall`
 * (bad JSON becomes a `parseError`, not an exception), and ends an aborted call with `ModelTimeoutError`.
 * Running out of turns throws, so a test never passes on a model call it did not expect.
 */
export class ScriptedModel implements ModelProvider {
  readonly name: ModelProviderName;
  /** Every request, as sent (deep-copied: the loop may not change what it already sent). */
  readonly requests: ModelRequest[] = [];
  readonly #turns: ScriptedTurn[];

  constructor(name: ModelProviderName, turns: ScriptedTurn[] = []) {
    this.name = name;
    this.#turns = [...turns];
  }

  /** Queues more answers. */
  script(...turns: ScriptedTurn[]): this {
    this.#turns.push(...turns);
    return this;
  }

  get remaining(): number {
    return this.#turns.length;
  }

  async generate(request: ModelRequest, options: GenerateOptions = {}): Promise<ModelResponse> {
    this.requests.push(structuredClone(request));
    const turn = this.#turns.shift();
    if (!turn) throw new Error(`ScriptedModel(${this.name}): no scripted turn left for request ${this.requests.length}`);
    if ('error' in turn) throw turn.error;
    if (options.signal?.aborted) throw new ModelTimeoutError(this.name, 'The call was aborted');
    const text = turn.text ?? '';
    // Word-sized fragments, as a streaming API delivers them.
    for (const fragment of text.match(/\S+\s*|\s+/g) ?? []) options.onToken?.(fragment);
    if (turn.until) {
      const signal = options.signal;
      await new Promise<void>((resolve, reject) => {
        const aborted = () => reject(new ModelTimeoutError(this.name, 'the model call was aborted by the caller'));
        if (signal?.aborted) return aborted();
        signal?.addEventListener('abort', aborted, { once: true });
        void turn.until!.then(() => resolve());
      });
    }
    const toolCalls = (turn.toolCalls ?? []).map(parseToolCall);
    const stopReason = turn.stopReason ?? (toolCalls.length > 0 ? 'tool_use' : 'end_turn');
    return {
      text,
      toolCalls,
      usage: turn.usage ?? { inputTokens: 10, outputTokens: 5 },
      stopReason,
      rawStopReason: stopReason,
      model: turn.model ?? request.model,
      latencyMs: 42,
    };
  }
}

/**
 * The files port in memory, keyed like S3: `read` gives undefined for a missing key and refuses (without
 * reading) an object over `maxBytes`, as `S3FilesPort` does; `list` pages in key order with an opaque cursor.
 */
export class InMemoryFiles implements FilesPort {
  readonly #objects = new Map<string, { content: Uint8Array; contentType: string; lastModified: Date }>();
  /** Every write in order, for asserting what went to storage. */
  readonly writes: Array<{ key: string; contentType: string; size: number }> = [];

  put(key: string, content: Uint8Array | string, contentType = 'application/octet-stream'): void {
    const bytes = typeof content === 'string' ? new Uint8Array(Buffer.from(content)) : new Uint8Array(content);
    this.#objects.set(key, { content: bytes, contentType, lastModified: new Date() });
  }

  delete(key: string): void {
    this.#objects.delete(key);
  }

  text(key: string): string | undefined {
    const object = this.#objects.get(key);
    return object && Buffer.from(object.content).toString('utf8');
  }

  async read(key: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<StoredFile | undefined> {
    options.signal?.throwIfAborted();
    const object = this.#objects.get(key);
    if (!object) return undefined;
    if (object.content.byteLength > options.maxBytes) {
      throw new ToolTooLargeError(`The file is ${object.content.byteLength} bytes; at most ${options.maxBytes} bytes can be read.`);
    }
    return {
      content: new Uint8Array(object.content),
      size: object.content.byteLength,
      contentType: object.contentType,
      lastModified: object.lastModified,
    };
  }

  async write(key: string, content: Uint8Array, options: { contentType: string; signal?: AbortSignal }): Promise<void> {
    options.signal?.throwIfAborted();
    this.put(key, content, options.contentType);
    this.writes.push({ key, contentType: options.contentType, size: content.byteLength });
  }

  async list(prefix: string, options: { limit: number; cursor?: string; signal?: AbortSignal }): Promise<FileListing> {
    options.signal?.throwIfAborted();
    const after = options.cursor ? Buffer.from(options.cursor, 'base64url').toString('utf8') : undefined;
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix) && (after === undefined || k > after)).sort();
    const page = keys.slice(0, options.limit);
    const items = page.map((key) => ({ key, size: this.#objects.get(key)!.content.byteLength, lastModified: this.#objects.get(key)!.lastModified }));
    const last = page.at(-1);
    return { items, nextCursor: keys.length > page.length && last ? Buffer.from(last, 'utf8').toString('base64url') : undefined };
  }
}
