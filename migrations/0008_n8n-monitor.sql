-- Up Migration
-- The n8n monitor: registered n8n instances (API key sealed, see functions/shared/sealed-secrets.ts), the
-- workflows and executions synced from them, alert rules with their per-subject incident state and firings,
-- and workflow templates (the JSON lives in S3; rows hold versions and where each was deployed).
CREATE TABLE n8n_instances (
  id                    text PRIMARY KEY CHECK (id ~ '^n8i_[A-Za-z0-9_-]{8,64}$'),
  tenant_id             text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  base_url              text NOT NULL CHECK (length(base_url) BETWEEN 8 AND 2048),
  api_key_sealed        text NOT NULL,
  created_by            text NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  -- Sync state: the newest n8n execution id below which everything has been seen, and an unfinished walk
  -- down to it (cursor, target and the newest id of that walk) to resume after a failure or a time budget.
  high_water_id         bigint,
  walk                  jsonb,
  lease_until           timestamptz,
  last_sync_at          timestamptz,
  last_success_at       timestamptz,
  last_error            text,
  last_error_at         timestamptz,
  consecutive_failures  int NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, name)
);
CREATE INDEX n8n_instances_tenant_idx ON n8n_instances (tenant_id, created_at, id);

CREATE TABLE n8n_workflows (
  instance_id   text NOT NULL REFERENCES n8n_instances (id) ON DELETE CASCADE,
  workflow_id   text NOT NULL,
  tenant_id     text NOT NULL,
  name          text NOT NULL,
  active        boolean NOT NULL,
  archived      boolean NOT NULL DEFAULT false,
  tags          text[] NOT NULL DEFAULT '{}',
  nodes_count   int NOT NULL DEFAULT 0,
  created_at    timestamptz,
  updated_at    timestamptz,
  -- Set when a full listing no longer has it (deleted in n8n); its executions stay.
  deleted_at    timestamptz,
  synced_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, workflow_id)
);
CREATE INDEX n8n_workflows_tenant_idx ON n8n_workflows (tenant_id, name, instance_id, workflow_id);

CREATE TABLE n8n_executions (
  instance_id     text NOT NULL REFERENCES n8n_instances (id) ON DELETE CASCADE,
  execution_id    bigint NOT NULL,
  tenant_id       text NOT NULL,
  workflow_id     text NOT NULL,
  status          text NOT NULL,
  mode            text NOT NULL,
  started_at      timestamptz,
  stopped_at      timestamptz,
  duration_ms     bigint,
  finished        boolean NOT NULL,
  error_message   text,
  error_node      text,
  retry_of        bigint,
  -- A failure's data was read (error message, failing node): never read twice.
  detailed        boolean NOT NULL DEFAULT false,
  -- Gone from n8n before it finished (pruned, deleted): no longer re-fetched.
  gone            boolean NOT NULL DEFAULT false,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  checked_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, execution_id)
);
CREATE INDEX n8n_executions_tenant_started_idx ON n8n_executions (tenant_id, started_at DESC, instance_id, execution_id DESC);
CREATE INDEX n8n_executions_workflow_idx ON n8n_executions (instance_id, workflow_id, started_at DESC);
CREATE INDEX n8n_executions_unfinished_idx ON n8n_executions (instance_id, checked_at) WHERE NOT finished AND NOT gone;
CREATE INDEX n8n_executions_undetailed_idx ON n8n_executions (instance_id, execution_id) WHERE status IN ('error', 'crashed') AND NOT detailed AND NOT gone;

CREATE TABLE n8n_alert_rules (
  id                text PRIMARY KEY CHECK (id ~ '^n8a_[A-Za-z0-9_-]{8,64}$'),
  tenant_id         text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind              text NOT NULL,
  params            jsonb NOT NULL,
  instance_id       text REFERENCES n8n_instances (id) ON DELETE CASCADE,
  workflow_id       text,
  cooldown_minutes  int NOT NULL DEFAULT 15,
  enabled           boolean NOT NULL DEFAULT true,
  -- { websocket: bool, sns: bool, webhooks: [{ url, secretSealed }] }
  targets           jsonb NOT NULL,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE INDEX n8n_alert_rules_tenant_idx ON n8n_alert_rules (tenant_id, created_at, id);

-- One incident state per rule and subject (a workflow, or an instance).
CREATE TABLE n8n_alert_states (
  rule_id         text NOT NULL REFERENCES n8n_alert_rules (id) ON DELETE CASCADE,
  subject         text NOT NULL,
  firing          boolean NOT NULL,
  fired_at        timestamptz,
  clear_since     timestamptz,
  resolved_at     timestamptz,
  PRIMARY KEY (rule_id, subject)
);

CREATE TABLE n8n_alert_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id     text NOT NULL REFERENCES n8n_alert_rules (id) ON DELETE CASCADE,
  tenant_id   text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('fired', 'resolved')),
  subject     text NOT NULL,
  at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  detail      jsonb NOT NULL,
  deliveries  jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX n8n_alert_events_rule_idx ON n8n_alert_events (rule_id, id DESC);

CREATE TABLE n8n_templates (
  id              text PRIMARY KEY CHECK (id ~ '^n8t_[A-Za-z0-9_-]{8,64}$'),
  tenant_id       text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description     text NOT NULL DEFAULT '',
  latest_version  int NOT NULL DEFAULT 1,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE INDEX n8n_templates_tenant_idx ON n8n_templates (tenant_id, created_at, id);

CREATE TABLE n8n_template_versions (
  template_id   text NOT NULL REFERENCES n8n_templates (id) ON DELETE CASCADE,
  version       int NOT NULL,
  object_key    text NOT NULL,
  sha256        text NOT NULL,
  bytes         int NOT NULL,
  nodes_count   int NOT NULL,
  source        jsonb NOT NULL,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  PRIMARY KEY (template_id, version)
);

-- Where a template was deployed: a redeploy to the same instance updates that workflow.
CREATE TABLE n8n_template_deployments (
  template_id   text NOT NULL REFERENCES n8n_templates (id) ON DELETE CASCADE,
  instance_id   text NOT NULL REFERENCES n8n_instances (id) ON DELETE CASCADE,
  workflow_id   text NOT NULL,
  version       int NOT NULL,
  deployed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, instance_id)
);

-- Down Migration
DROP TABLE n8n_template_deployments;
DROP TABLE n8n_template_versions;
DROP TABLE n8n_templates;
DROP TABLE n8n_alert_events;
DROP TABLE n8n_alert_states;
DROP TABLE n8n_alert_rules;
DROP TABLE n8n_executions;
DROP TABLE n8n_workflows;
DROP TABLE n8n_instances;
