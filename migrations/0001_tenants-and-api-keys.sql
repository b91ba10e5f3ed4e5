-- Up Migration
-- Timestamps default to millisecond precision: list cursors carry created_at through JavaScript Dates,
-- which would otherwise drop the microseconds and repeat a row across pages.
CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
CREATE INDEX tenants_created_at_id_idx ON tenants (created_at, id);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role          text NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
  -- sha256 hex of the secret; the secret itself is never stored.
  hash          text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  prefix        text NOT NULL,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_tenant_created_idx ON api_keys (tenant_id, created_at, id);

-- Down Migration
DROP TABLE api_keys;
DROP TABLE tenants;
