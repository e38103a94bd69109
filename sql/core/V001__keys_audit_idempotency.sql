-- core: API keys (hashed), the audit log (append-only), idempotent retries.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE core.api_key (
  id text PRIMARY KEY,
  display_name text NOT NULL DEFAULT '',
  role text NOT NULL CHECK (role IN ('admin', 'city', 'bureau', 'enterprise', 'verifier', 'service')),
  scope text NOT NULL DEFAULT '',
  -- SHA-256 of the bearer secret; the secret itself is never stored.
  secret_sha256 text NOT NULL UNIQUE,
  created_by text NOT NULL DEFAULT '',
  create_time timestamptz NOT NULL DEFAULT now(),
  revoke_time timestamptz
);

CREATE TABLE core.audit_log (
  id bigserial PRIMARY KEY,
  time timestamptz NOT NULL DEFAULT now(),
  principal text NOT NULL,
  method text NOT NULL,
  resource text NOT NULL,
  request_id text NOT NULL DEFAULT '',
  outcome text NOT NULL,
  detail text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_resource ON core.audit_log (resource text_pattern_ops);

CREATE FUNCTION core.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON core.audit_log
  FOR EACH ROW EXECUTE FUNCTION core.refuse_change();

-- The first response to a mutating call with a request_id; a retry with the
-- same principal and request_id gets it back instead of running again.
CREATE TABLE core.idempotency (
  principal text NOT NULL,
  request_id text NOT NULL,
  method text NOT NULL,
  response bytea NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, request_id)
);
