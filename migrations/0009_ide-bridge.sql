-- Up Migration
-- IDE bridge: tokens spent by the model-backed IDE routes (complete, inline, fix, generate, refactor,
-- explain), one row per model call, per tenant and model. GET /v1/ide/usage sums them.
-- No foreign key to tenants: a JWT may name a tenant that only its issuer knows.
CREATE TABLE ide_model_usage (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id      text NOT NULL CHECK (length(tenant_id) BETWEEN 1 AND 200),
  user_id        text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 200),
  route          text NOT NULL CHECK (route IN ('complete', 'inline', 'fix', 'generate', 'refactor', 'explain')),
  provider       text NOT NULL,
  model          text NOT NULL,
  input_tokens   integer NOT NULL CHECK (input_tokens >= 0),
  output_tokens  integer NOT NULL CHECK (output_tokens >= 0),
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ide_model_usage_tenant_created_idx ON ide_model_usage (tenant_id, created_at);

-- Down Migration
DROP TABLE ide_model_usage;
