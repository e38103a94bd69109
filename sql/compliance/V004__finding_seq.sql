-- Issue 20: WatchFindings streams findings as they are stored. Each finding
-- is numbered in the order it was inserted; a watcher asks for the numbers
-- after the last it saw (looking back a little, as transactions commit out
-- of order).
ALTER TABLE compliance.finding ADD COLUMN seq bigserial;
CREATE INDEX finding_seq ON compliance.finding (seq);
