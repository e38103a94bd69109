-- One row per district (and one for the alerts, district_id '*alerts'),
-- bumped in the same transaction as every change to what binds: a filing
-- acknowledged, an alert issued, changed or lifted. Each process keeps the
-- version it loaded; the change is also announced with NOTIFY
-- cuofeng_obligations, and a process that lost its listening connection
-- compares these versions with its own to catch up.
CREATE TABLE planning.obligation_change (
  district_id text PRIMARY KEY,
  version bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
