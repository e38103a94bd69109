-- Filing with the city (备案, T78): once submitted, a list's content is
-- frozen and chained per district; the database itself refuses changes.

-- Every entry keeps the SHA-256 of its stored bytes, so that verification can
-- name the first altered entry.
ALTER TABLE planning.list_entry ADD COLUMN entry_sha256 text NOT NULL DEFAULT '';

ALTER TABLE planning.list_version ADD COLUMN amends text REFERENCES planning.list_version (name);
ALTER TABLE planning.list_version ADD COLUMN amendment_reason text;

-- The chain: one row per submission, in district order.
CREATE TABLE planning.filing (
  district_id text NOT NULL,
  seq integer NOT NULL,
  list text NOT NULL UNIQUE REFERENCES planning.list_version (name),
  content_sha256 text NOT NULL,
  entry_count integer NOT NULL,
  previous_sha256 text NOT NULL,
  sha256 text NOT NULL,
  submitted_by text NOT NULL,
  submit_time timestamptz NOT NULL DEFAULT now(),
  late boolean NOT NULL,
  amends text,
  reason text,
  PRIMARY KEY (district_id, seq)
);

-- Acknowledgements (a first filing) and approvals (an amendment) by the city.
CREATE TABLE planning.acknowledgement (
  list text PRIMARY KEY REFERENCES planning.filing (list),
  acknowledged_by text NOT NULL,
  acknowledge_time timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER filing_append_only BEFORE UPDATE OR DELETE ON planning.filing
  FOR EACH ROW EXECUTE FUNCTION core.refuse_change();
CREATE TRIGGER acknowledgement_append_only BEFORE UPDATE OR DELETE ON planning.acknowledgement
  FOR EACH ROW EXECUTE FUNCTION core.refuse_change();
CREATE TRIGGER list_entry_append_only BEFORE UPDATE OR DELETE ON planning.list_entry
  FOR EACH ROW EXECUTE FUNCTION core.refuse_change();

-- A list version may change only its state, and only forward.
CREATE FUNCTION planning.guard_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'list % cannot be deleted', OLD.name;
  END IF;
  IF (NEW.name, NEW.district_id, NEW.seq, NEW.season, NEW.rule_set_id, NEW.rule_set_revision,
      NEW.content_sha256, NEW.summary)
     IS DISTINCT FROM
     (OLD.name, OLD.district_id, OLD.seq, OLD.season, OLD.rule_set_id, OLD.rule_set_revision,
      OLD.content_sha256, OLD.summary) THEN
    RAISE EXCEPTION 'list % is frozen: only its state may change', OLD.name;
  END IF;
  -- A draft may be designated an amendment as it is submitted; never after.
  IF OLD.state <> 'DRAFT' AND (NEW.amends, NEW.amendment_reason) IS DISTINCT FROM (OLD.amends, OLD.amendment_reason) THEN
    RAISE EXCEPTION 'list % is frozen: only its state may change', OLD.name;
  END IF;
  IF NOT ((OLD.state = 'DRAFT' AND NEW.state = 'SUBMITTED')
       OR (OLD.state = 'SUBMITTED' AND NEW.state = 'FILED')
       OR (OLD.state = 'FILED' AND NEW.state = 'SUPERSEDED')
       OR OLD.state = NEW.state) THEN
    RAISE EXCEPTION 'list % cannot go from % to %', OLD.name, OLD.state, NEW.state;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER list_version_guard BEFORE UPDATE OR DELETE ON planning.list_version
  FOR EACH ROW EXECUTE FUNCTION planning.guard_list_version();
