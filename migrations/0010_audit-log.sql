-- Up Migration
-- The audit trail: one row per mutating REST call (functions/shared/audit.ts), written by the shared HTTP stack.
-- Append-only: the trigger refuses UPDATE and DELETE (and TRUNCATE), so not even a bug in a handler, nor a
-- compromised function's database user, can rewrite history without first dropping the trigger (which only a
-- migration does). No foreign key to tenants: entries outlive what they describe.
CREATE TABLE audit_entries (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id      text NOT NULL,
  principal      text NOT NULL,
  action         text NOT NULL,
  resource_type  text NOT NULL,
  resource_id    text,
  status         int NOT NULL,
  outcome        text NOT NULL CHECK (outcome IN ('succeeded', 'rejected', 'failed')),
  request_id     text,
  source_ip      text,
  at             timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
-- The list reads newest first per tenant (and across tenants for platform admins), filtered by time.
CREATE INDEX audit_entries_tenant_idx ON audit_entries (tenant_id, at DESC, id DESC);
CREATE INDEX audit_entries_at_idx ON audit_entries (at DESC, id DESC);

CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_entries is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();

-- Down Migration
DROP TABLE audit_entries;
DROP FUNCTION audit_entries_append_only();
