-- Monitoring points (排放口) with automatic stack monitoring: their data
-- loggers send HJ 212 packets, known by the device number MN (issue 21).
CREATE TABLE registry.monitoring_point (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.enterprise (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  mn text NOT NULL UNIQUE,
  equipment text REFERENCES registry.equipment (name),
  line text REFERENCES registry.production_line (name),
  stack_height_m double precision CHECK (stack_height_m >= 0),
  pm_limit double precision CHECK (pm_limit >= 0),
  so2_limit double precision CHECK (so2_limit >= 0),
  nox_limit double precision CHECK (nox_limit >= 0),
  access_password text NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name),
  CHECK (equipment IS NULL OR line IS NULL)
);
CREATE INDEX monitoring_point_parent ON registry.monitoring_point (parent, name);
CREATE INDEX monitoring_point_equipment ON registry.monitoring_point (equipment);
CREATE INDEX monitoring_point_line ON registry.monitoring_point (line);
