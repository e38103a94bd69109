-- Heavy-pollution alerts (重污染天气预警): every issue, change and lifting is
-- a new revision; nothing is updated or deleted.
CREATE SEQUENCE planning.alert_number;

CREATE TABLE planning.alert_revision (
  id text NOT NULL,
  revision integer NOT NULL,
  level text NOT NULL CHECK (level IN ('YELLOW', 'ORANGE', 'RED')),
  districts text[] NOT NULL DEFAULT '{}',
  start_time timestamptz NOT NULL,
  end_time timestamptz,
  document_number text NOT NULL DEFAULT '',
  lifted boolean NOT NULL DEFAULT false,
  effective_time timestamptz NOT NULL,
  issued_by text NOT NULL,
  note text NOT NULL DEFAULT '',
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, revision),
  CHECK (end_time IS NULL OR end_time > start_time)
);

CREATE TRIGGER alert_revision_append_only BEFORE UPDATE OR DELETE ON planning.alert_revision
  FOR EACH ROW EXECUTE FUNCTION core.refuse_change();
