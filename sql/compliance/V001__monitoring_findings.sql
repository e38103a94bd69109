-- Compliance: monitoring data (meter readings, gate passages, truck ledger),
-- baselines, verification runs and findings. Registry resources are referred
-- to by name (the registry is another service's schema); meters and cameras
-- get a compact local id so that the billions of readings stay small.
CREATE SCHEMA IF NOT EXISTS compliance;

CREATE FUNCTION compliance.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'compliance.% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- A meter as compliance knows it: confirmed against the registry at first use.
CREATE TABLE compliance.meter (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  district_id text NOT NULL,
  enterprise text NOT NULL
);

-- Readings, keyed by (meter, time), partitioned by month (Asia/Shanghai);
-- partitions are created by the ingest path as data arrives.
CREATE TABLE compliance.reading (
  meter_id integer NOT NULL,
  time timestamptz NOT NULL,
  kind smallint NOT NULL,  -- ReadingKind
  value double precision NOT NULL,
  PRIMARY KEY (meter_id, time)
) PARTITION BY RANGE (time);

-- A production meter's baseline for a season, with how it was computed, and
-- a bureau's override with its reason.
CREATE TABLE compliance.baseline (
  meter_id integer NOT NULL REFERENCES compliance.meter (id),
  season text NOT NULL,
  computed_kw double precision,
  method text NOT NULL,
  reference_start date NOT NULL,
  reference_end date NOT NULL,
  production_days integer NOT NULL,
  intervals bigint NOT NULL,
  override_kw double precision,
  override_reason text,
  overridden_by text,
  update_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_id, season)
);

CREATE TABLE compliance.camera (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  district_id text NOT NULL,
  enterprise text NOT NULL
);

-- Gate passages, keyed by (camera, time, plate). Kept for the retention the
-- rule set sets; nothing inside it may be deleted (trigger below).
CREATE TABLE compliance.gate_event (
  camera_id integer NOT NULL REFERENCES compliance.camera (id),
  time timestamptz NOT NULL,
  plate text NOT NULL,
  direction smallint NOT NULL,
  vehicle_class smallint NOT NULL,
  photo text NOT NULL DEFAULT '',
  cargo text NOT NULL DEFAULT '',
  tonnage double precision,
  PRIMARY KEY (camera_id, time, plate)
);

-- The diesel-truck ledger (电子台账), keyed by (enterprise, plate, time, direction).
CREATE TABLE compliance.ledger_row (
  district_id text NOT NULL,
  enterprise text NOT NULL,
  plate text NOT NULL,
  time timestamptz NOT NULL,
  direction smallint NOT NULL,
  vin text NOT NULL DEFAULT '',
  engine_number text NOT NULL DEFAULT '',
  emission_stage smallint NOT NULL DEFAULT 0,
  registration_date text NOT NULL DEFAULT '',
  cargo text NOT NULL DEFAULT '',
  tonnage double precision,
  fleet text NOT NULL DEFAULT '',
  PRIMARY KEY (enterprise, plate, time, direction)
);
CREATE INDEX ledger_row_district_time ON compliance.ledger_row (district_id, time);

-- Retention per district, from the rule set of the list in force (T80):
-- what may not be deleted before when.
CREATE TABLE compliance.retention (
  district_id text PRIMARY KEY,
  video_days integer NOT NULL,
  ledger_until date,
  ledger_days integer NOT NULL
);

CREATE FUNCTION compliance.guard_retention() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r compliance.retention%ROWTYPE;
  district text;
  keep_until timestamptz;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'compliance.% rows are records: UPDATE refused', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_TABLE_NAME = 'gate_event' THEN
    SELECT c.district_id INTO district FROM compliance.camera c WHERE c.id = OLD.camera_id;
  ELSE
    district := OLD.district_id;
  END IF;
  SELECT * INTO r FROM compliance.retention WHERE district_id = district;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no retention is recorded for district %: DELETE refused', district
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_TABLE_NAME = 'gate_event' THEN
    keep_until := OLD.time + make_interval(days => r.video_days);
  ELSE
    keep_until := greatest(OLD.time + make_interval(days => r.ledger_days),
                           coalesce((r.ledger_until + 1)::timestamp AT TIME ZONE 'Asia/Shanghai', '-infinity'));
  END IF;
  IF keep_until > now() THEN
    RAISE EXCEPTION 'compliance.% row of % is kept until % (retention): DELETE refused',
      TG_TABLE_NAME, OLD.time, keep_until USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER gate_event_retention BEFORE UPDATE OR DELETE ON compliance.gate_event
  FOR EACH ROW EXECUTE FUNCTION compliance.guard_retention();
CREATE TRIGGER ledger_row_retention BEFORE UPDATE OR DELETE ON compliance.ledger_row
  FOR EACH ROW EXECUTE FUNCTION compliance.guard_retention();

CREATE SEQUENCE compliance.run_number;
CREATE TABLE compliance.verification_run (
  name text PRIMARY KEY,
  district_id text NOT NULL,
  body bytea NOT NULL,  -- VerificationRun
  run_by text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER verification_run_append_only BEFORE UPDATE OR DELETE ON compliance.verification_run
  FOR EACH ROW EXECUTE FUNCTION compliance.refuse_change();

-- Findings. `fingerprint` identifies what was found (type, subject, window,
-- rule): re-running over the same data finds the same rows, not duplicates.
CREATE SEQUENCE compliance.finding_number;
CREATE TABLE compliance.finding (
  name text PRIMARY KEY,
  district_id text NOT NULL,
  enterprise text NOT NULL,
  fingerprint text NOT NULL UNIQUE,
  type smallint NOT NULL,
  window_start timestamptz NOT NULL,
  body bytea NOT NULL,  -- Finding, without review and explanation
  status smallint NOT NULL DEFAULT 1,  -- FindingStatus
  review_comment text NOT NULL DEFAULT '',
  reviewed_by text NOT NULL DEFAULT '',
  review_time timestamptz,
  explanation text NOT NULL DEFAULT '',
  explanation_time timestamptz,
  create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX finding_district ON compliance.finding (district_id, window_start);
CREATE INDEX finding_enterprise ON compliance.finding (enterprise, window_start);

-- Every review and explanation, in order: a finding's history is kept.
CREATE TABLE compliance.finding_event (
  finding text NOT NULL REFERENCES compliance.finding (name),
  seq bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('CONFIRM', 'DISMISS', 'EXPLAIN')),
  text text NOT NULL,
  by_key text NOT NULL,
  time timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER finding_event_append_only BEFORE UPDATE OR DELETE ON compliance.finding_event
  FOR EACH ROW EXECUTE FUNCTION compliance.refuse_change();
