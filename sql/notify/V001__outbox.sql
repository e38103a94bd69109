-- notify: notifications to enterprises when what binds them changes, and
-- their delivery by e-mail and webhook (a durable outbox).
CREATE SCHEMA IF NOT EXISTS notify;

-- One row per change to what binds (an alert revision, a filed list),
-- written in the same transaction as the change itself, so none is lost.
-- A worker turns each into notifications (processed_time set in the same
-- transaction as they are written); claimed with a lease so that several
-- processes never fan out the same change at once.
CREATE TABLE notify.change (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('ALERT_ISSUED', 'ALERT_CHANGED', 'ALERT_LIFTED',
                                     'LIST_FILED')),
  -- alerts/{id} or districts/{d}/lists/{n}
  subject text NOT NULL,
  revision int NOT NULL DEFAULT 0,
  -- The districts it touches (district ids); empty: every district with a filed list.
  district_ids text[] NOT NULL,
  document_number text NOT NULL DEFAULT '',
  level text NOT NULL DEFAULT '',
  note text NOT NULL DEFAULT '',
  -- The list it replaces (an amendment), and the amendment's reason.
  replaces text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  effective_time timestamptz NOT NULL,
  record_time timestamptz NOT NULL DEFAULT now(),
  processed_time timestamptz,
  lease_until timestamptz,
  attempts int NOT NULL DEFAULT 0,
  last_error text NOT NULL DEFAULT ''
);
CREATE INDEX change_pending ON notify.change (id) WHERE processed_time IS NULL;

-- Where an enterprise's notifications go. The webhook secret is kept
-- encrypted (AES-256-GCM under a key in core.server_secret), because
-- signing needs it; it is never returned.
CREATE TABLE notify.contact (
  enterprise text PRIMARY KEY,  -- districts/{d}/enterprises/{e}
  district_id text NOT NULL,
  email text NOT NULL DEFAULT '',
  webhook_url text NOT NULL DEFAULT '',
  webhook_secret_sealed bytea,
  webhook_secret_fingerprint text NOT NULL DEFAULT '',
  channels text[] NOT NULL DEFAULT '{}',
  update_time timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT ''
);

-- One notification per (enterprise, change): the unique key is what makes
-- a change notify each enterprise exactly once, whichever process and
-- however many times the fan-out runs.
CREATE TABLE notify.notification (
  id bigserial PRIMARY KEY,
  district_id text NOT NULL,
  enterprise text NOT NULL,
  change_id bigint NOT NULL REFERENCES notify.change (id),
  -- cuofeng.v1.Notification without deliveries and read state.
  body bytea NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  read_time timestamptz,
  read_by text NOT NULL DEFAULT '',
  UNIQUE (enterprise, change_id)
);
CREATE INDEX notification_district ON notify.notification (district_id, id DESC);
CREATE INDEX notification_enterprise ON notify.notification (enterprise, id DESC);

-- One delivery per notification and channel, made with the notification
-- from the contact settings of that moment. A worker claims due rows with
-- FOR UPDATE SKIP LOCKED and a lease (lease_token), sends without holding a
-- connection, then records the outcome only if its lease still holds.
CREATE TABLE notify.delivery (
  notification_id bigint NOT NULL REFERENCES notify.notification (id),
  channel text NOT NULL CHECK (channel IN ('EMAIL', 'WEBHOOK')),
  destination text NOT NULL,
  state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
  attempts int NOT NULL DEFAULT 0,
  next_attempt_time timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  lease_token text NOT NULL DEFAULT '',
  last_error text NOT NULL DEFAULT '',
  delivered_time timestamptz,
  PRIMARY KEY (notification_id, channel)
);
CREATE INDEX delivery_due ON notify.delivery (next_attempt_time) WHERE state = 'PENDING';
