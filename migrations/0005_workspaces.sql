-- Up Migration
-- Realtime workspaces: a named room in a tenant whose messages live in the channel event log
-- (channel `workspace:<id>`, kind `message`). Members carry a role: owner > editor > viewer.
CREATE TABLE workspaces (
  id          text PRIMARY KEY CHECK (id ~ '^wsp_[A-Za-z0-9_-]{8,64}$'),
  tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE INDEX workspaces_tenant_created_idx ON workspaces (tenant_id, created_at, id);

CREATE TABLE workspace_members (
  workspace_id  text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id       text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 200),
  role          text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  added_by      text,
  added_at      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  PRIMARY KEY (workspace_id, user_id)
);
-- "My workspaces" lists and the member pages' keyset order.
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id, workspace_id);
CREATE INDEX workspace_members_added_idx ON workspace_members (workspace_id, added_at, user_id);

-- Down Migration
DROP TABLE workspace_members;
DROP TABLE workspaces;
