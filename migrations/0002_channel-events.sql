-- Up Migration
-- One ordered event log per channel (`execution:<id>`, `workspace:<id>`, `n8n:<tenant>`): agents write
-- execution events here, realtime writes workspace messages here, and both REST reads and WebSocket
-- resumes (`afterSeq`) read from it. seq grows by one per channel, without gaps.
CREATE TABLE channel_heads (
  channel   text PRIMARY KEY,
  last_seq  bigint NOT NULL
);

CREATE TABLE channel_events (
  channel    text NOT NULL,
  seq        bigint NOT NULL,
  tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
  at         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  data       jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (channel, seq)
);
CREATE INDEX channel_events_tenant_idx ON channel_events (tenant_id, channel);

-- Down Migration
DROP TABLE channel_events;
DROP TABLE channel_heads;
