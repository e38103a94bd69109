-- Issue 15: baselines that follow the data (versioned, overrides too),
-- register resets and meter replacements, findings keyed by what they judge
-- and superseded when later data disproves them.

-- Baselines: the row in compliance.baseline is the version in force; every
-- version (computed again as reference data arrived, or overridden) is kept
-- in compliance.baseline_version, which never changes.
ALTER TABLE compliance.baseline
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD COLUMN complete boolean NOT NULL DEFAULT false,
  ADD COLUMN samples bigint NOT NULL DEFAULT 0,
  ADD COLUMN expected bigint NOT NULL DEFAULT 0;

CREATE TABLE compliance.baseline_version (
  meter_id integer NOT NULL REFERENCES compliance.meter (id),
  season text NOT NULL,
  version integer NOT NULL,
  computed_kw double precision,
  override_kw double precision,
  method text NOT NULL,
  reference_start date NOT NULL,
  reference_end date NOT NULL,
  production_days integer NOT NULL,
  intervals bigint NOT NULL,
  samples bigint NOT NULL,
  expected bigint NOT NULL,
  complete boolean NOT NULL,
  override_reason text,
  overridden_by text,
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_id, season, version)
);
CREATE TRIGGER baseline_version_append_only BEFORE UPDATE OR DELETE ON compliance.baseline_version
  FOR EACH ROW EXECUTE FUNCTION compliance.refuse_change();
INSERT INTO compliance.baseline_version (meter_id, season, version, computed_kw, override_kw, method,
    reference_start, reference_end, production_days, intervals, samples, expected, complete,
    override_reason, overridden_by, create_time)
  SELECT meter_id, season, 1, computed_kw, override_kw, method, reference_start, reference_end,
    production_days, intervals, samples, expected, complete, override_reason, overridden_by, update_time
  FROM compliance.baseline;

-- Register resets and meter replacements (换表, 表码清零): cumulative
-- readings after `time` count from `new_register`. Records: never changed.
CREATE TABLE compliance.meter_event (
  id bigserial PRIMARY KEY,
  meter_id integer NOT NULL REFERENCES compliance.meter (id),
  time timestamptz NOT NULL,
  kind smallint NOT NULL,  -- MeterEvent.Kind
  new_register double precision NOT NULL CHECK (new_register >= 0),
  reason text NOT NULL,
  serial_number text NOT NULL DEFAULT '',
  recorded_by text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (meter_id, time)
);
CREATE TRIGGER meter_event_append_only BEFORE UPDATE OR DELETE ON compliance.meter_event
  FOR EACH ROW EXECUTE FUNCTION compliance.refuse_change();

-- Findings: `domain` names what the run that found it judged whole (a
-- meter's obligation window, a treatment meter's binding period, a camera's
-- period, or 'gate' for passages and ledger rows, judged by their time);
-- a later run judging the same domain that no longer finds it marks it
-- SUPERSEDED (status 4) with its own name.
ALTER TABLE compliance.finding
  ADD COLUMN domain text NOT NULL DEFAULT '',
  ADD COLUMN superseded_by text NOT NULL DEFAULT '';
CREATE INDEX finding_domain ON compliance.finding (district_id, domain) WHERE status = 1;
ALTER TABLE compliance.finding_event DROP CONSTRAINT finding_event_kind_check;
ALTER TABLE compliance.finding_event ADD CONSTRAINT finding_event_kind_check
  CHECK (kind IN ('CONFIRM', 'DISMISS', 'EXPLAIN', 'SUPERSEDE', 'REOPEN'));
