-- Secrets every server process on this database shares, made once by the
-- first process that starts: the key that signs page tokens. Read by the
-- servers only; never sent to a client.
CREATE TABLE core.server_secret (
  name text PRIMARY KEY,
  value bytea NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now()
);
