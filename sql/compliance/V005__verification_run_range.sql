-- ListVerificationRuns selects a district's runs by their range and leaves
-- live runs out unless asked: the range and the live flag as columns (runs
-- stored before this migration have them NULL and are judged by their body).
ALTER TABLE compliance.verification_run
  ADD COLUMN run_from timestamptz,
  ADD COLUMN run_to timestamptz,
  ADD COLUMN live boolean;
CREATE INDEX verification_run_by_district ON compliance.verification_run (district_id, create_time DESC);
