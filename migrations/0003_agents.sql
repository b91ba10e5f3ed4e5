-- Up Migration
-- An agent is the current definition; agent_versions keeps every definition it ever had (one row per
-- version, written in the same transaction as the create/update), so an execution can load exactly the
-- version it started with even after later edits or a soft delete.
CREATE TABLE agents (
  id             text PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description    text NOT NULL DEFAULT '',
  system_prompt  text NOT NULL DEFAULT '',
  -- { provider, name, temperature?, maxTokens? }
  model          jsonb NOT NULL,
  tools          text[] NOT NULL DEFAULT '{}',
  max_steps      int NOT NULL DEFAULT 10 CHECK (max_steps BETWEEN 1 AND 50),
  version        int NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  -- Soft delete: executions keep pointing at the agent and its versions.
  deleted_at     timestamptz
);
CREATE INDEX agents_tenant_created_idx ON agents (tenant_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE agent_versions (
  agent_id       text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  version        int NOT NULL CHECK (version >= 1),
  name           text NOT NULL,
  description    text NOT NULL DEFAULT '',
  system_prompt  text NOT NULL DEFAULT '',
  model          jsonb NOT NULL,
  tools          text[] NOT NULL DEFAULT '{}',
  max_steps      int NOT NULL,
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  PRIMARY KEY (agent_id, version)
);

CREATE TABLE files (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- S3 object key: tenants/<tenantId>/uploads/<fileId>
  key           text NOT NULL UNIQUE,
  filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type  text NOT NULL,
  -- Declared at creation; confirmed against the stored object when it is marked uploaded.
  size_bytes    bigint CHECK (size_bytes IS NULL OR size_bytes >= 0),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'uploaded')),
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  uploaded_at   timestamptz
);
CREATE INDEX files_tenant_created_idx ON files (tenant_id, created_at, id);

-- Down Migration
DROP TABLE files;
DROP TABLE agent_versions;
DROP TABLE agents;
