-- Vehicle whitelists (白名单): which vehicles an enterprise may still use
-- under a T79 heavy-truck ban, for which purpose, over which days.
CREATE TABLE registry.whitelist_entry (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.enterprise (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  vehicle text NOT NULL REFERENCES registry.vehicle (name),
  purpose text NOT NULL,
  valid_from date NOT NULL,
  valid_until date NOT NULL,
  document text,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, vehicle, purpose, valid_from),
  CHECK (valid_until >= valid_from)
);
CREATE INDEX whitelist_entry_vehicle ON registry.whitelist_entry (vehicle);
