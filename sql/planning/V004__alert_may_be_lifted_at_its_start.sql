-- Lifting an alert at (or before) its start cancels it: its end may equal
-- its start. A newly issued alert still must end after it starts (checked by
-- the service).
ALTER TABLE planning.alert_revision DROP CONSTRAINT alert_revision_check;
ALTER TABLE planning.alert_revision ADD CONSTRAINT alert_revision_check
  CHECK (end_time IS NULL OR end_time >= start_time);
