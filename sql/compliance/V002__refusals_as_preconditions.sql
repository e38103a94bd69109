-- The compliance triggers' refusals (append-only tables, retention) are
-- refusals of the request, not faults: they raise P0001 (raise_exception),
-- which the service reports as FAILED_PRECONDITION with the trigger's
-- message, where V001 used insufficient_privilege (42501, reported as
-- INTERNAL).
CREATE OR REPLACE FUNCTION compliance.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'compliance.% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'raise_exception';
END $$;

CREATE OR REPLACE FUNCTION compliance.guard_retention() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r compliance.retention%ROWTYPE;
  district text;
  keep_until timestamptz;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'compliance.% rows are records: UPDATE refused', TG_TABLE_NAME
      USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_TABLE_NAME = 'gate_event' THEN
    SELECT c.district_id INTO district FROM compliance.camera c WHERE c.id = OLD.camera_id;
  ELSE
    district := OLD.district_id;
  END IF;
  SELECT * INTO r FROM compliance.retention WHERE district_id = district;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no retention is recorded for district %: DELETE refused', district
      USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_TABLE_NAME = 'gate_event' THEN
    keep_until := OLD.time + make_interval(days => r.video_days);
  ELSE
    keep_until := greatest(OLD.time + make_interval(days => r.ledger_days),
                           coalesce((r.ledger_until + 1)::timestamp AT TIME ZONE 'Asia/Shanghai', '-infinity'));
  END IF;
  IF keep_until > now() THEN
    RAISE EXCEPTION 'compliance.% row of % is kept until % (retention): DELETE refused',
      TG_TABLE_NAME, OLD.time, keep_until USING ERRCODE = 'raise_exception';
  END IF;
  RETURN OLD;
END $$;
