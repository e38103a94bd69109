-- Issue 21: when a later run finds a stored finding again and another
-- source's word on it changes (MergeCorroboration), the change is kept in
-- the finding's history like a review, and the finding is numbered anew
-- (seq) so that WatchFindings sends it again with its sources.
ALTER TABLE compliance.finding_event DROP CONSTRAINT finding_event_kind_check;
ALTER TABLE compliance.finding_event ADD CONSTRAINT finding_event_kind_check
  CHECK (kind IN ('CONFIRM', 'DISMISS', 'EXPLAIN', 'SUPERSEDE', 'REOPEN', 'CORROBORATE'));
