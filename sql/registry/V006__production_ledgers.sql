-- Production ledger definitions (生产台账) per production line, for material
-- balance (物料衡算, T75, issue 21): the product and its unit, the normal
-- daily output (declared, or from the reference period when unset), and the
-- fuel and raw material the daily rows record. The rows themselves are
-- evidence data (schema production).
CREATE TABLE registry.production_ledger (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.enterprise (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  line text NOT NULL REFERENCES registry.production_line (name),
  product text NOT NULL,
  output_unit text NOT NULL,
  normal_daily_output double precision CHECK (normal_daily_output >= 0),
  fuel text,
  fuel_unit text,
  raw_material text,
  raw_material_unit text,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name)
);
CREATE INDEX production_ledger_parent ON registry.production_ledger (parent, name);
CREATE INDEX production_ledger_line ON registry.production_ledger (line);
