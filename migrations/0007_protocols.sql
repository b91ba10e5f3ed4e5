-- Up Migration
-- Remote MCP servers a tenant registers for its agents (an agent lists `mcp:<id>` among its tools). The auth
-- header's value is sealed (AES-256-GCM under the credentials key, functions/shared/sealed-secrets.ts) with the
-- row's tenant and id bound in, so the column alone reveals nothing and a value copied to another row does not open.
CREATE TABLE mcp_servers (
  id            text PRIMARY KEY CHECK (id ~ '^mcs_[A-Za-z0-9_-]{8,64}$'),
  tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- Namespaces the server's tools for the model (`<name>__<tool>`), hence no underscores.
  name          text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
  url           text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
  auth_header   text CHECK (auth_header ~ '^[A-Za-z0-9-]{1,64}$'),
  auth_sealed   text,
  -- NULL: every tool the server lists; else only these (exact names or `*` wildcards).
  allow_tools   text[],
  deny_tools    text[] NOT NULL DEFAULT '{}',
  enabled       boolean NOT NULL DEFAULT true,
  timeout_ms    int NOT NULL DEFAULT 30000 CHECK (timeout_ms BETWEEN 1000 AND 45000),
  version       int NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  CHECK ((auth_header IS NULL) = (auth_sealed IS NULL)),
  UNIQUE (tenant_id, name)
);
CREATE INDEX mcp_servers_tenant_created_idx ON mcp_servers (tenant_id, created_at, id);

-- Down Migration
DROP TABLE mcp_servers;
