-- planning: rule-set revisions, seasons, generated list versions and entries.
-- Messages are stored as their serialized proto (body) beside the columns
-- that queries filter on.
CREATE SCHEMA IF NOT EXISTS planning;

-- A revision never changes: a changed document is a new revision.
CREATE TABLE planning.rule_set (
  id text NOT NULL,
  revision integer NOT NULL CHECK (revision > 0),
  sha256 text NOT NULL,
  text text NOT NULL,
  body bytea NOT NULL,
  created_by text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, revision),
  UNIQUE (id, sha256)
);
CREATE TRIGGER rule_set_immutable BEFORE UPDATE OR DELETE ON planning.rule_set
  FOR EACH ROW EXECUTE FUNCTION core.refuse_change();

CREATE TABLE planning.season (
  name text PRIMARY KEY,
  district_id text NOT NULL,
  id text NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE planning.list_version (
  name text PRIMARY KEY,
  district_id text NOT NULL,
  seq integer NOT NULL,
  season text NOT NULL REFERENCES planning.season (name),
  rule_set_id text NOT NULL,
  rule_set_revision integer NOT NULL,
  state text NOT NULL DEFAULT 'DRAFT',
  content_sha256 text NOT NULL,
  summary bytea NOT NULL,
  created_by text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (district_id, seq),
  FOREIGN KEY (rule_set_id, rule_set_revision) REFERENCES planning.rule_set (id, revision)
);

CREATE TABLE planning.list_entry (
  list text NOT NULL REFERENCES planning.list_version (name),
  seq integer NOT NULL,
  district_id text NOT NULL,
  enterprise text NOT NULL,
  resource text NOT NULL,
  kind text NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (list, seq)
);
CREATE INDEX list_entry_enterprise ON planning.list_entry (list, enterprise, seq);
