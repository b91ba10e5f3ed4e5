/**
 * PostgreSQL storage of executions, their steps, messages and approvals. Status changes are guarded
 * (`WHERE status NOT IN terminal`) so that a task finishing after a cancel cannot overwrite it.
 */
import type pg from 'pg';
import { transaction, type Queryable } from '#shared/db.ts';
import { toStoredJson } from '#shared/stored-json.ts';
import type {
  AgentDefinition,
  ExecutionError,
  ExecutionInput,
  ExecutionRecord,
  ExecutionRepository,
  ExecutionStatus,
  NewExecution,
  NewModelStep,
  NewToolStep,
  PendingToolCall,
  StepRecord,
  StoredMessage,
  ToolStepResult,
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

/** jsonb parameters: tool and model output can hold NUL or lone surrogates, which jsonb refuses. */
const json = (value: unknown): string | null => toStoredJson(value, { nullable: true });

export class PgExecutionRepository implements ExecutionRepository {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
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

  /** queued -> running; false when it was not queued (a retried task, or cancelled meanwhile). */
  async markRunning(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE executions SET status = 'running', started_at = date_trunc('milliseconds', clock_timestamp())
       WHERE id = $1 AND status = 'queued'`,
      [id],
    );
    return rowCount === 1;
  }

  /** Sets a terminal status unless one is set already; false when it was. */
  async finish(id: string, status: 'succeeded' | 'failed' | 'cancelled', fields: { output?: unknown; error?: ExecutionError }): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE executions SET status = $2, output = $3, error = $4, pending_task_token = NULL, pending_tool_call = NULL,
         finished_at = date_trunc('milliseconds', clock_timestamp()),
         cancel_requested_at = CASE WHEN $2 = 'cancelled' THEN coalesce(cancel_requested_at, clock_timestamp()) ELSE cancel_requested_at END
       WHERE id = $1 AND ${NOT_TERMINAL}`,
      [id, status, json(fields.output), json(fields.error)],
    );
    return rowCount === 1;
  }

  /** Reserves `n` consecutive step numbers (under the row lock); returns the first. */
  async reserveSteps(id: string, n: number, db: Queryable = this.#pool): Promise<number> {
    const { rows } = await db.query<{ last_step_no: number }>(
      'UPDATE executions SET last_step_no = last_step_no + $2 WHERE id = $1 RETURNING last_step_no',
      [id, n],
    );
    return rows[0]!.last_step_no - n + 1;
  }

  /** A model call that failed (it will be retried or end the run): recorded for the steps list. */
  async recordFailedModelStep(id: string, step: NewModelStep): Promise<number> {
    return transaction(this.#pool, async (client) => {
      const stepNo = await this.reserveSteps(id, 1, client);
      await this.#insertModelStep(client, id, stepNo, step);
      return stepNo;
    });
  }

  /**
   * One transaction for a model answer: the step, the usage, the assistant message, and a pending step per
   * tool call it asked for (numbered in call order, so steps read in the order the model asked).
   */
  async recordModelTurn(
    id: string,
    step: NewModelStep,
    message: Extract<StoredMessage, { role: 'assistant' }>['content'],
    toolSteps: NewToolStep[],
  ): Promise<{ stepNo: number; messageIdx: number; toolStepNos: number[] }> {
    return transaction(this.#pool, async (client) => {
      const stepNo = await this.reserveSteps(id, 1 + toolSteps.length, client);
      await this.#insertModelStep(client, id, stepNo, step);
      await client.query(
        'UPDATE executions SET input_tokens = input_tokens + $2, output_tokens = output_tokens + $3, step_count = step_count + 1 WHERE id = $1',
        [id, step.inputTokens, step.outputTokens],
      );
      const { rows } = await client.query<{ idx: number }>(
        `INSERT INTO execution_messages (execution_id, idx, role, content)
         SELECT $1, coalesce(max(idx), -1) + 1, 'assistant', $2 FROM execution_messages WHERE execution_id = $1 RETURNING idx`,
        [id, toStoredJson(message)],
      );
      const toolStepNos = toolSteps.map((_, i) => stepNo + 1 + i);
      for (const [i, t] of toolSteps.entries()) {
        await client.query(
          `INSERT INTO execution_steps (execution_id, step_no, kind, tool_name, tool_call_id, input) VALUES ($1, $2, 'tool', $3, $4, $5)`,
          [id, toolStepNos[i], t.toolName, t.toolCallId, toStoredJson(t.input)],
        );
      }
      return { stepNo, messageIdx: rows[0]!.idx, toolStepNos };
    });
  }

  async #insertModelStep(db: Queryable, id: string, stepNo: number, s: NewModelStep): Promise<void> {
    await db.query(
      `INSERT INTO execution_steps (execution_id, step_no, kind, provider, model, input, output, error, input_tokens, output_tokens,
         latency_ms, started_at, finished_at)
       VALUES ($1, $2, 'model', $3, $4, $5, $6, $7, $8, $9, $10, $11, date_trunc('milliseconds', clock_timestamp()))`,
      [
        id,
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

  async step(id: string, stepNo: number): Promise<StepRecord | undefined> {
    const { rows } = await this.#pool.query<StepRow>('SELECT * FROM execution_steps WHERE execution_id = $1 AND step_no = $2', [id, stepNo]);
    return rows[0] && toStep(rows[0]);
  }

  /** The tool's result and its message (at the index CallModel reserved), in one transaction. */
  async recordToolResult(
    id: string,
    stepNo: number,
    messageIdx: number,
    result: ToolStepResult,
    message: Extract<StoredMessage, { role: 'tool' }>['content'],
  ): Promise<void> {
    await transaction(this.#pool, async (client) => {
      await client.query(
        `UPDATE execution_steps SET output = $3, output_ref = $4, error = $5, latency_ms = $6, started_at = $7,
           finished_at = date_trunc('milliseconds', clock_timestamp())
         WHERE execution_id = $1 AND step_no = $2`,
        [id, stepNo, json(result.output), result.outputRef, json(result.error), result.latencyMs, result.startedAt],
      );
      await client.query(
        `INSERT INTO execution_messages (execution_id, idx, role, content) VALUES ($1, $2, 'tool', $3)
         ON CONFLICT (execution_id, idx) DO UPDATE SET content = EXCLUDED.content`,
        [id, messageIdx, toStoredJson(message)],
      );
    });
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

  /** Parks the run: the token that resumes it and the call a human must decide on. */
  async waitForApproval(id: string, token: string, call: PendingToolCall): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE executions SET status = 'waiting_approval', pending_task_token = $2, pending_tool_call = $3
       WHERE id = $1 AND status IN ('running', 'waiting_approval')`,
      [id, token, toStoredJson(call)],
    );
    return rowCount === 1;
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

  /** Marks a cancel request (the run's tasks check it) and the terminal status; false when already finished. */
  async requestCancel(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE executions SET status = 'cancelled', cancel_requested_at = coalesce(cancel_requested_at, clock_timestamp()),
         finished_at = date_trunc('milliseconds', clock_timestamp()), pending_task_token = NULL, pending_tool_call = NULL
       WHERE id = $1 AND tenant_id = $2 AND ${NOT_TERMINAL}`,
      [id, tenantId],
    );
    return rowCount === 1;
  }
}
