-- Up Migration
-- What the request that claimed an Idempotency-Key asked for: the agent and a sha256 of its canonical body.
-- A later request with the same key but another fingerprint is refused (422) instead of being answered
-- with an execution it did not ask for. Null on rows from before this column: those keep answering.
ALTER TABLE executions ADD COLUMN idempotency_fingerprint text;

-- Down Migration
ALTER TABLE executions DROP COLUMN idempotency_fingerprint;
