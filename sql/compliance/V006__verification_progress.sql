-- Issue 19: a batch verification run is recorded when it starts and its
-- progress updated as it goes, so that a page can show how far it has got.
-- A row lives until the run is stored (the storing transaction deletes it:
-- the run is then in compliance.verification_run) or, for a run that
-- failed, stays as the record of its failure. `touched` is the database's
-- own time of the last update: a RUNNING row nobody has touched for longer
-- than a run may last belongs to a server that stopped.
CREATE TABLE compliance.verification_progress (
  name text PRIMARY KEY,
  district_id text NOT NULL,
  state text NOT NULL,
  body bytea NOT NULL,  -- VerificationRun: name, from, to and progress
  create_time timestamptz NOT NULL,
  touched timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verification_progress_by_district
  ON compliance.verification_progress (district_id, create_time DESC);
