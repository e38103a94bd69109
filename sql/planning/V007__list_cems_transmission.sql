-- The measured CEMS data transmission (数据传输有效率, T81) a list was
-- generated from (issue 21): one row per monitoring point that
-- ComplianceService.ListCemsTransmission measured over the list's window,
-- whether or not a rule cited it. With the registry snapshot's hash and the
-- rule set's revision it is what the list was decided on. Append-only, like
-- the entries.
CREATE TABLE planning.list_cems_transmission (
  list text NOT NULL REFERENCES planning.list_version (name),
  monitoring_point text NOT NULL,
  district_id text NOT NULL,
  mn text NOT NULL,
  target text NOT NULL,
  from_day date NOT NULL,
  to_day date NOT NULL,
  expected_minutes bigint NOT NULL CHECK (expected_minutes > 0),
  valid_minutes bigint NOT NULL CHECK (valid_minutes >= 0),
  rate_percent double precision NOT NULL,
  body bytea NOT NULL,  -- the CemsTransmission message, its days included
  PRIMARY KEY (list, monitoring_point)
);

CREATE TRIGGER list_cems_transmission_append_only
  BEFORE UPDATE OR DELETE ON planning.list_cems_transmission
  FOR EACH ROW EXECUTE FUNCTION core.refuse_change();
