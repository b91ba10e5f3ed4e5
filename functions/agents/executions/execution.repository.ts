/**
 * PostgreSQL storage of executions, their steps, messages and approvals. Every write to a run goes through
 * `whileActive`: one transaction that locks the execution's row, refuses to start once the run has ended, and
 * appends the run's channel events in the same transaction (pushed to subscribers after the commit). So a task
 * still going after a cancel, a Lambda timeout or a failure writes nothing, and a record never lands without
 * its events, nor an event without its record.
 */
import type pg from 'pg';
import { type ChannelEvent, ChannelEventStore, type EventFanout, type NewChannelEvent, storeOnly } from '#shared/channel-events.ts';
import { transaction, type Queryable } from '#shared/db.ts';
import { toStoredJson } from '#shared/stored-json.ts';
import { executionChannelName } from './execution-channel.ts';
import {
  type AgentDefinition,
  type ExecutionError,
  type ExecutionInput,
  type ExecutionRecord,
  type ExecutionRepository,
  type ExecutionStatus,
  type ExecutionWriter,
  isTerminal,
  type NewExecution,
  type NewModelStep,
  type NewToolStep,
  type PendingToolCall,
  type StepRecord,
  type StoredMessage,
  type ToolStepResult,
} from './execution.ts';

type Pool = Pick<pg.Pool, 'query' | 'connect'>;

interface ExecutionRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  agent_version: number;
  status: ExecutionStatus;
  input: ExecutionInput;
  output: { text: string } | null;
  error: ExecutionError | null;
  input_tokens: number;
  output_tokens: number;
  step_count: number;
  sfn_execution_arn: string | null;
  cancel_requested_at: Date | null;
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  pending_tool_call: PendingToolCall | null;
}

const toExecution = (r: ExecutionRow): ExecutionRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  agentId: r.agent_id,
  agentVersion: r.agent_version,
  status: r.status,
  input: r.input,
  output: r.output,
  error: r.error,
  inputTokens: r.input_tokens,
  outputTokens: r.output_tokens,
  stepCount: r.step_count,
  sfnExecutionArn: r.sfn_execution_arn,
  cancelRequestedAt: r.cancel_requested_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  pendingToolCall: r.pending_tool_call,
});

interface StepRow {
  execution_id: string;
  step_no: number;
  kind: 'model' | 'tool';
  provider: string | null;
  model: string | null;
  tool_name: string | null;
  tool_call_id: string | null;
  input: unknown;
  output: unknown;
  output_ref: string | null;
  error: ExecutionError | null;
  input_tokens: number;
  output_tokens: number;
  latency_ms: number;
  started_at: Date;
  finished_at: Date | null;
}

const toStep = (r: StepRow): StepRecord => ({
  executionId: r.execution_id,
  stepNo: r.step_no,
  kind: r.kind,
  provider: r.provider,
  model: r.model,
  toolName: r.tool_name,
  toolCallId: r.tool_call_id,
  input: r.input,
  output: r.output,
  outputRef: r.output_ref,
  error: r.error,
  inputTokens: r.input_tokens,
  outputTokens: r.output_tokens,
  latencyMs: r.latency_ms,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const EXECUTION_COLUMNS = `id, tenant_id, agent_id, agent_version, status, input, output, error, input_tokens, output_tokens,
  step_count, sfn_execution_arn, cancel_requested_at, created_by, created_at, started_at, finished_at, pending_tool_call`;
const NOT_TERMINAL = `status NOT IN ('succeeded', 'failed', 'cancelled')`;
/** The same columns qualified by the alias `e`, for reads joining other tables. */
const EXECUTION_COLUMNS_OF_E = EXECUTION_COLUMNS.replace(/(^|,\s*)(\w+)/g, '$1e.$2');

/** jsonb parameters: tool and model output can hold NUL or lone surrogates, which jsonb refuses. */
const json = (value: unknown): string | null => toStoredJson(value, { nullable: true });

export class PgExecutionRepository implements ExecutionRepository {
  readonly #pool: Pool;
  readonly #fanout: EventFanout;

  /** `fanout` pushes the events of committed units to live subscribers (none: stored only). */
  constructor(pool: Pool, fanout: EventFanout = storeOnly) {
    this.#pool = pool;
    this.#fanout = fanout;
  }

  /** The agent's current version, unless deleted. */
  async findAgent(tenantId: string, agentId: string): Promise<{ agentId: string; version: number } | undefined> {
    const { rows } = await this.#pool.query<{ id: string; version: number }>(
      'SELECT id, version FROM agents WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL',
      [agentId, tenantId],
    );
    return rows[0] ? { agentId: rows[0].id, version: rows[0].version } : undefined;
  }

  async agentVersion(tenantId: string, agentId: string, version: number): Promise<AgentDefinition | undefined> {
    const { rows } = await this.#pool.query<{ system_prompt: string; model: AgentDefinition['model']; tools: string[]; max_steps: number }>(
      `SELECT v.system_prompt, v.model, v.tools, v.max_steps FROM agent_versions v JOIN agents a ON a.id = v.agent_id
       WHERE v.agent_id = $1 AND v.version = $2 AND a.tenant_id = $3`,
      [agentId, version, tenantId],
    );
    const r = rows[0];
    return r && { agentId, version, systemPrompt: r.system_prompt, model: r.model, tools: r.tools, maxSteps: r.max_steps };
  }

  async findWithAgent(tenantId: string, id: string): Promise<{ execution: ExecutionRecord; agent: AgentDefinition | undefined } | undefined> {
    const { rows } = await this.#pool.query<
      ExecutionRow & {
        v_system_prompt: string | null;
        v_model: AgentDefinition['model'] | null;
        v_tools: string[] | null;
        v_max_steps: number | null;
      }
    >(
      `SELECT ${EXECUTION_COLUMNS_OF_E},
         v.system_prompt AS v_system_prompt, v.model AS v_model, v.tools AS v_tools, v.max_steps AS v_max_steps
       FROM executions e
       LEFT JOIN agents a ON a.id = e.agent_id AND a.tenant_id = e.tenant_id
       LEFT JOIN agent_versions v ON v.agent_id = a.id AND v.version = e.agent_version
       WHERE e.id = $1 AND e.tenant_id = $2`,
      [id, tenantId],
    );
    const r = rows[0];
    if (!r) return undefined;
    const agent: AgentDefinition | undefined =
      r.v_model === null
        ? undefined
        : {
            agentId: r.agent_id,
            version: r.agent_version,
            systemPrompt: r.v_system_prompt!,
            model: r.v_model,
            tools: r.v_tools!,
            maxSteps: r.v_max_steps!,
          };
    return { execution: toExecution(r), agent };
  }

  /** The tenant's uploaded files among `fileIds`. */
  async uploadedFiles(
    tenantId: string,
    fileIds: string[],
  ): Promise<Array<{ id: string; key: string; contentType: string; sizeBytes: number | null }>> {
    const { rows } = await this.#pool.query<{ id: string; key: string; content_type: string; size_bytes: string | null }>(
      `SELECT id, key, content_type, size_bytes FROM files WHERE tenant_id = $1 AND id = ANY($2) AND status = 'uploaded'`,
      [tenantId, fileIds],
    );
    return rows.map((r) => ({ id: r.id, key: r.key, contentType: r.content_type, sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes) }));
  }

  /**
   * Creates the execution with its first message, or returns the one an earlier request with the same
   * Idempotency-Key created (the unique index decides, inside this one transaction), with that request's
   * fingerprint (null for rows from before fingerprints were kept).
   */
  async create(
    e: NewExecution,
  ): Promise<{ execution: ExecutionRecord; created: true } | { execution: ExecutionRecord; created: false; fingerprint: string | null }> {
    return transaction(this.#pool, async (client) => {
      const { rows } = await client.query<ExecutionRow>(
        `INSERT INTO executions (id, tenant_id, agent_id, agent_version, input, created_by, idempotency_key, idempotency_fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING ${EXECUTION_COLUMNS}`,
        [
          e.id,
          e.tenantId,
          e.agentId,
          e.agentVersion,
          toStoredJson(e.input),
          e.createdBy,
          e.idempotencyKey ?? null,
          e.idempotencyKey === undefined ? null : (e.idempotencyFingerprint ?? null),
        ],
      );
      if (rows[0]) {
        await client.query('INSERT INTO execution_messages (execution_id, idx, role, content) VALUES ($1, 0, $2, $3)', [
          e.id,
          'user',
          toStoredJson(e.input),
        ]);
        return { execution: toExecution(rows[0]), created: true };
      }
      const existing = await client.query<ExecutionRow & { idempotency_fingerprint: string | null }>(
        `SELECT ${EXECUTION_COLUMNS}, idempotency_fingerprint FROM executions WHERE tenant_id = $1 AND idempotency_key = $2`,
        [e.tenantId, e.idempotencyKey],
      );
      const row = existing.rows[0]!;
      return { execution: toExecution(row), created: false, fingerprint: row.idempotency_fingerprint };
    });
  }

  async setStateMachineExecution(id: string, arn: string): Promise<void> {
    await this.#pool.query('UPDATE executions SET sfn_execution_arn = $2 WHERE id = $1', [id, arn]);
  }

  async find(tenantId: string, id: string, db: Queryable = this.#pool): Promise<ExecutionRecord | undefined> {
    const { rows } = await db.query<ExecutionRow>(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    return rows[0] && toExecution(rows[0]);
  }

  async whileActive<T>(tenantId: string, id: string, write: (writer: ExecutionWriter) => Promise<T>): Promise<T | undefined> {
    const done = await transaction(this.#pool, async (client) => {
      // The row lock holds off the other units of this run (a cancel, a parallel tool, a token batch) until
      // this one commits; one that waited on it sees the status this one left and stops there if it ended.
      const { rows } = await client.query<ExecutionRow>(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, [
        id,
        tenantId,
      ]);
      const row = rows[0];
      if (!row || isTerminal(row.status)) return undefined;
      const writer = new PgExecutionWriter(client, toExecution(row));
      const value = await write(writer);
      return { value, stored: writer.stored };
    });
    if (!done) return undefined;
    await this.#fanout.fanOut(tenantId, done.stored);
    return done.value;
  }

  async emitWhileActive(tenantId: string, id: string, events: NewChannelEvent[]): Promise<boolean> {
    // The row lock of `whileActive`, taken by the statement itself: 1 round trip instead of BEGIN, SELECT
    // FOR UPDATE, INSERT and COMMIT (a token batch is the most frequent write of a run).
    const stored = await new ChannelEventStore(this.#pool).storeGuarded(tenantId, executionChannelName(id), events, {
      sql: `SELECT id FROM executions WHERE id = $5 AND tenant_id = $2 AND ${NOT_TERMINAL} FOR UPDATE`,
      params: [id],
    });
    if (stored.length === 0) return false;
    await this.#fanout.fanOut(tenantId, stored);
    return true;
  }

  async stopRequested(id: string): Promise<boolean> {
    const { rows } = await this.#pool.query<{ stop: boolean }>(
      `SELECT cancel_requested_at IS NOT NULL OR NOT (${NOT_TERMINAL}) AS stop FROM executions WHERE id = $1`,
      [id],
    );
    return rows[0]?.stop ?? true;
  }

  async step(id: string, stepNo: number): Promise<StepRecord | undefined> {
    const { rows } = await this.#pool.query<StepRow>('SELECT * FROM execution_steps WHERE execution_id = $1 AND step_no = $2', [id, stepNo]);
    return rows[0] && toStep(rows[0]);
  }

  async messages(id: string): Promise<StoredMessage[]> {
    const { rows } = await this.#pool.query<{ role: StoredMessage['role']; content: never }>(
      'SELECT role, content FROM execution_messages WHERE execution_id = $1 ORDER BY idx',
      [id],
    );
    return rows.map((r) => ({ role: r.role, content: r.content }) as StoredMessage);
  }

  async listSteps(tenantId: string, id: string, afterStepNo: number, limit: number): Promise<StepRecord[]> {
    const { rows } = await this.#pool.query<StepRow>(
      `SELECT s.* FROM execution_steps s JOIN executions e ON e.id = s.execution_id
       WHERE s.execution_id = $1 AND e.tenant_id = $2 AND s.step_no > $3 ORDER BY s.step_no LIMIT $4`,
      [id, tenantId, afterStepNo, limit],
    );
    return rows.map(toStep);
  }

  /** Tool calls of the latest turn that need a decision and have none yet, in call order. */
  async undecidedCalls(
    id: string,
    needsApproval: (toolName: string) => boolean,
  ): Promise<Array<{ toolCallId: string; name: string; arguments: unknown }>> {
    const { rows } = await this.#pool.query<{ tool_call_id: string; tool_name: string; input: { arguments?: unknown } }>(
      `SELECT s.tool_call_id, s.tool_name, s.input FROM execution_steps s
       WHERE s.execution_id = $1 AND s.kind = 'tool' AND s.finished_at IS NULL
         AND s.step_no > (SELECT coalesce(max(step_no), 0) FROM execution_steps WHERE execution_id = $1 AND kind = 'model' AND error IS NULL)
         AND NOT EXISTS (SELECT 1 FROM execution_approvals a WHERE a.execution_id = s.execution_id AND a.tool_call_id = s.tool_call_id)
       ORDER BY s.step_no`,
      [id],
    );
    return rows
      .filter((r) => needsApproval(r.tool_name) && r.input.arguments !== undefined)
      .map((r) => ({ toolCallId: r.tool_call_id, name: r.tool_name, arguments: r.input.arguments }));
  }

  /**
   * Records a decision and takes the task token, atomically: of two concurrent decisions only one gets
   * the token. Undefined when the execution is not waiting.
   */
  async decide(
    tenantId: string,
    id: string,
    decision: { approved: boolean; decidedBy: string; comment?: string },
  ): Promise<{ token: string; call: PendingToolCall } | undefined> {
    return transaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ pending_task_token: string; pending_tool_call: PendingToolCall }>(
        `UPDATE executions e SET status = 'running', pending_task_token = NULL, pending_tool_call = NULL
         FROM (SELECT id, pending_task_token, pending_tool_call FROM executions WHERE id = $1 AND tenant_id = $2 FOR UPDATE) old
         WHERE e.id = old.id AND e.status = 'waiting_approval' AND old.pending_task_token IS NOT NULL
         RETURNING old.pending_task_token, old.pending_tool_call`,
        [id, tenantId],
      );
      const row = rows[0];
      if (!row) return undefined;
      await client.query(
        `INSERT INTO execution_approvals (execution_id, tool_call_id, approved, decided_by, comment) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [id, row.pending_tool_call.toolCallId, decision.approved, decision.decidedBy, decision.comment ?? null],
      );
      return { token: row.pending_task_token, call: row.pending_tool_call };
    });
  }

  async approval(id: string, toolCallId: string): Promise<{ approved: boolean; decidedBy: string; comment: string | null } | undefined> {
    const { rows } = await this.#pool.query<{ approved: boolean; decided_by: string; comment: string | null }>(
      'SELECT approved, decided_by, comment FROM execution_approvals WHERE execution_id = $1 AND tool_call_id = $2',
      [id, toolCallId],
    );
    return rows[0] && { approved: rows[0].approved, decidedBy: rows[0].decided_by, comment: rows[0].comment };
  }
}

/** The writes of one `whileActive` unit, on its transaction's client; the execution's row is locked and not terminal. */
class PgExecutionWriter implements ExecutionWriter {
  readonly execution: ExecutionRecord;
  /** The events this unit appended, for the fan-out after commit. */
  readonly stored: ChannelEvent[] = [];
  readonly #db: Queryable;
  readonly #events: ChannelEventStore;

  constructor(db: Queryable, execution: ExecutionRecord) {
    this.#db = db;
    this.execution = execution;
    this.#events = new ChannelEventStore(db);
  }

  get #id(): string {
    return this.execution.id;
  }

  async markRunning(): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE executions SET status = 'running', started_at = date_trunc('milliseconds', clock_timestamp())
       WHERE id = $1 AND status = 'queued'`,
      [this.#id],
    );
    return rowCount === 1;
  }

  async finish(status: 'succeeded' | 'failed' | 'cancelled', fields: { output?: unknown; error?: ExecutionError }): Promise<void> {
    await this.#db.query(
      `UPDATE executions SET status = $2, output = $3, error = $4, pending_task_token = NULL, pending_tool_call = NULL,
         finished_at = date_trunc('milliseconds', clock_timestamp()),
         cancel_requested_at = CASE WHEN $2 = 'cancelled' THEN coalesce(cancel_requested_at, clock_timestamp()) ELSE cancel_requested_at END
       WHERE id = $1`,
      [this.#id, status, json(fields.output), json(fields.error)],
    );
  }

  /** Reserves `n` consecutive step numbers; returns the first. */
  async #reserveSteps(n: number): Promise<number> {
    const { rows } = await this.#db.query<{ last_step_no: number }>(
      'UPDATE executions SET last_step_no = last_step_no + $2 WHERE id = $1 RETURNING last_step_no',
      [this.#id, n],
    );
    return rows[0]!.last_step_no - n + 1;
  }

  async recordFailedModelStep(step: NewModelStep): Promise<number> {
    const stepNo = await this.#reserveSteps(1);
    await this.#insertModelStep(stepNo, step);
    return stepNo;
  }

  /** Tool steps are numbered in call order right after the model step, so steps read in the order the model asked. */
  async recordModelTurn(
    step: NewModelStep,
    message: Extract<StoredMessage, { role: 'assistant' }>['content'],
    toolSteps: NewToolStep[],
  ): Promise<{ stepNo: number; messageIdx: number; toolStepNos: number[] }> {
    const id = this.#id;
    // One round trip per kind of record: the step numbers and the usage in one UPDATE, the tool steps in one INSERT.
    const { rows: reserved } = await this.#db.query<{ last_step_no: number }>(
      `UPDATE executions SET last_step_no = last_step_no + $2, input_tokens = input_tokens + $3, output_tokens = output_tokens + $4,
         step_count = step_count + 1
       WHERE id = $1 RETURNING last_step_no`,
      [id, 1 + toolSteps.length, step.inputTokens, step.outputTokens],
    );
    const stepNo = reserved[0]!.last_step_no - toolSteps.length;
    await this.#insertModelStep(stepNo, step);
    const { rows } = await this.#db.query<{ idx: number }>(
      `INSERT INTO execution_messages (execution_id, idx, role, content)
       SELECT $1, coalesce(max(idx), -1) + 1, 'assistant', $2 FROM execution_messages WHERE execution_id = $1 RETURNING idx`,
      [id, toStoredJson(message)],
    );
    const toolStepNos = toolSteps.map((_, i) => stepNo + 1 + i);
    if (toolSteps.length > 0) {
      await this.#db.query(
        `INSERT INTO execution_steps (execution_id, step_no, kind, tool_name, tool_call_id, input)
         SELECT $1, t.step_no, 'tool', t.tool_name, t.tool_call_id, t.input
         FROM unnest($2::int[], $3::text[], $4::text[], $5::jsonb[]) AS t(step_no, tool_name, tool_call_id, input)`,
        [id, toolStepNos, toolSteps.map((t) => t.toolName), toolSteps.map((t) => t.toolCallId), toolSteps.map((t) => toStoredJson(t.input))],
      );
    }
    return { stepNo, messageIdx: rows[0]!.idx, toolStepNos };
  }

  async #insertModelStep(stepNo: number, s: NewModelStep): Promise<void> {
    await this.#db.query(
      `INSERT INTO execution_steps (execution_id, step_no, kind, provider, model, input, output, error, input_tokens, output_tokens,
         latency_ms, started_at, finished_at)
       VALUES ($1, $2, 'model', $3, $4, $5, $6, $7, $8, $9, $10, $11, date_trunc('milliseconds', clock_timestamp()))`,
      [
        this.#id,
        stepNo,
        s.provider,
        s.model,
        toStoredJson(s.input),
        json(s.output),
        json(s.error),
        s.inputTokens,
        s.outputTokens,
        s.latencyMs,
        s.startedAt,
      ],
    );
  }

  /** A retried task overwrites its own earlier message at the reserved index. */
  async recordToolResult(
    stepNo: number,
    messageIdx: number,
    result: ToolStepResult,
    message: Extract<StoredMessage, { role: 'tool' }>['content'],
  ): Promise<void> {
    await this.#db.query(
      `UPDATE execution_steps SET output = $3, output_ref = $4, error = $5, latency_ms = $6, started_at = $7,
         finished_at = date_trunc('milliseconds', clock_timestamp())
       WHERE execution_id = $1 AND step_no = $2`,
      [this.#id, stepNo, json(result.output), result.outputRef, json(result.error), result.latencyMs, result.startedAt],
    );
    await this.#db.query(
      `INSERT INTO execution_messages (execution_id, idx, role, content) VALUES ($1, $2, 'tool', $3)
       ON CONFLICT (execution_id, idx) DO UPDATE SET content = EXCLUDED.content`,
      [this.#id, messageIdx, toStoredJson(message)],
    );
  }

  async waitForApproval(token: string, call: PendingToolCall): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE executions SET status = 'waiting_approval', pending_task_token = $2, pending_tool_call = $3
       WHERE id = $1 AND status IN ('running', 'waiting_approval')`,
      [this.#id, token, toStoredJson(call)],
    );
    return rowCount === 1;
  }

  async emit(events: NewChannelEvent[]): Promise<void> {
    this.stored.push(...(await this.#events.store(this.execution.tenantId, executionChannelName(this.#id), events)));
  }
}
