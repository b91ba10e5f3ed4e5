-- Up Migration
-- Agent executions (DESIGN.md §5). The Step Functions state carries ids only: the conversation, every
-- model/tool step and its output live here (outputs over ~64 KB in S3, referenced by output_ref).
CREATE TABLE executions (
  id                   text PRIMARY KEY,
  tenant_id            text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- Agents are soft-deleted, so the row stays and old executions keep their agent.
  agent_id             text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  agent_version        int NOT NULL,
  status               text NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'running', 'waiting_approval', 'succeeded', 'failed', 'cancelled')),
  input                jsonb NOT NULL,
  output               jsonb,
  error                jsonb,
  input_tokens         int NOT NULL DEFAULT 0,
  output_tokens        int NOT NULL DEFAULT 0,
  -- Model calls made so far: the agent's max_steps bounds this.
  step_count           int NOT NULL DEFAULT 0,
  sfn_execution_arn    text,
  cancel_requested_at  timestamptz,
  created_by           text,
  created_at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  started_at           timestamptz,
  finished_at          timestamptz,
  -- Idempotency-Key of the POST that started it: unique per tenant, so a repeat finds the first execution
  -- in the same transaction that would have created a second one.
  idempotency_key      text,
  -- The tool call waiting for a human decision and the Step Functions task token that resumes it.
  pending_task_token   text,
  pending_tool_call    jsonb,
  -- Step numbers are handed out from this counter under the row lock, so tool steps recorded in parallel
  -- (the Map state) never collide.
  last_step_no         int NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX executions_tenant_idempotency_idx ON executions (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX executions_tenant_agent_created_idx ON executions (tenant_id, agent_id, created_at);

CREATE TABLE execution_steps (
  execution_id   text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  step_no        int NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('model', 'tool')),
  provider       text,
  model          text,
  tool_name      text,
  -- The model's id for the call this tool step answers (ties the step, its approval and its message).
  tool_call_id   text,
  input          jsonb NOT NULL DEFAULT '{}'::jsonb,
  output         jsonb,
  output_ref     text,
  error          jsonb,
  input_tokens   int NOT NULL DEFAULT 0,
  output_tokens  int NOT NULL DEFAULT 0,
  latency_ms     int NOT NULL DEFAULT 0,
  started_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  finished_at    timestamptz,
  PRIMARY KEY (execution_id, step_no)
);

CREATE TABLE execution_messages (
  execution_id  text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  idx           int NOT NULL,
  role          text NOT NULL,
  content       jsonb NOT NULL,
  PRIMARY KEY (execution_id, idx)
);

-- One human decision per tool call that needed approval.
CREATE TABLE execution_approvals (
  execution_id  text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  tool_call_id  text NOT NULL,
  approved      boolean NOT NULL,
  decided_by    text NOT NULL,
  comment       text,
  decided_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  PRIMARY KEY (execution_id, tool_call_id)
);

-- Down Migration
DROP TABLE execution_approvals;
DROP TABLE execution_messages;
DROP TABLE execution_steps;
DROP TABLE executions;
