-- registry: what exists in each district. Column names equal the proto field
-- names of cuofeng.v1 resources; empty strings and *_UNSPECIFIED enums are
-- NULL, absent optional facts are NULL (never 0). Every table carries
-- district_id (and enterprise_id below an enterprise) as its distribution key.
-- Parent and reference foreign keys RESTRICT deletes of referenced rows.
CREATE SCHEMA IF NOT EXISTS registry;

CREATE TABLE registry.district (
  name text PRIMARY KEY,
  parent text,
  district_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  city text,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (display_name)
);

CREATE TABLE registry.township (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.district (name),
  district_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name)
);

CREATE TABLE registry.enterprise (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.district (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  uscc text NOT NULL UNIQUE,
  township text REFERENCES registry.township (name),
  industry_code text,
  industry_category text,
  restricted_class boolean NOT NULL DEFAULT false,
  overcapacity boolean NOT NULL DEFAULT false,
  permit_status text,
  permit_number text,
  permit_compliant boolean,
  stably_meets_standards boolean,
  performance_grade text,
  supplies_heating boolean NOT NULL DEFAULT false,
  coprocesses_municipal_waste boolean NOT NULL DEFAULT false,
  coprocesses_hazardous_waste boolean NOT NULL DEFAULT false,
  livelihood_cap_percent double precision CHECK (livelihood_cap_percent BETWEEN 0 AND 100),
  bulk_transport boolean NOT NULL DEFAULT false,
  approved_capacity_daily double precision CHECK (approved_capacity_daily >= 0),
  permitted_capacity_daily double precision CHECK (permitted_capacity_daily >= 0),
  last_year_output_daily double precision CHECK (last_year_output_daily >= 0),
  output_unit text,
  responsible_person text,
  contact_phone text,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name)
);
CREATE INDEX enterprise_township ON registry.enterprise (township);

CREATE TABLE registry.production_line (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.enterprise (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  product text,
  capacity_daily double precision CHECK (capacity_daily >= 0),
  capacity_unit text,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name)
);

CREATE TABLE registry.process (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.production_line (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  quick_safe_stop boolean NOT NULL DEFAULT false,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name)
);

CREATE TABLE registry.equipment (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.process (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  type text NOT NULL,
  kiln_type text,
  fuel text,
  rated_capacity double precision CHECK (rated_capacity >= 0),
  capacity_unit text,
  pm_concentration double precision CHECK (pm_concentration >= 0),
  so2_concentration double precision CHECK (so2_concentration >= 0),
  nox_concentration double precision CHECK (nox_concentration >= 0),
  voc_concentration double precision CHECK (voc_concentration >= 0),
  pm_annual double precision CHECK (pm_annual >= 0),
  so2_annual double precision CHECK (so2_annual >= 0),
  nox_annual double precision CHECK (nox_annual >= 0),
  voc_annual double precision CHECK (voc_annual >= 0),
  stack_height_m double precision CHECK (stack_height_m >= 0),
  cems_installed boolean NOT NULL DEFAULT false,
  cems_transmission_rate double precision CHECK (cems_transmission_rate BETWEEN 0 AND 100),
  on_kiln_list boolean NOT NULL DEFAULT false,
  kiln_found_date date,
  dust_control text,
  desulfurization text,
  control_equipment text,
  quick_safe_stop boolean NOT NULL DEFAULT false,
  stably_meets_standards boolean,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name),
  -- The equipment number is unique within its enterprise (设备编号).
  UNIQUE (district_id, enterprise_id, id)
);

CREATE TABLE registry.meter (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.enterprise (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  role text NOT NULL,
  equipment text REFERENCES registry.equipment (name),
  line text REFERENCES registry.production_line (name),
  serial_number text,
  interval_minutes integer NOT NULL CHECK (interval_minutes > 0),
  rated_kw double precision CHECK (rated_kw >= 0),
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name),
  CHECK ((equipment IS NULL) <> (line IS NULL))
);

CREATE TABLE registry.camera (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.enterprise (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  display_name text NOT NULL,
  gate text,
  direction text,
  installed_date date,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, display_name)
);

CREATE TABLE registry.vehicle (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.district (name),
  district_id text NOT NULL,
  id text NOT NULL,
  plate text NOT NULL,
  vin text,
  registration_date date,
  emission_stage text NOT NULL,
  fuel text,
  vehicle_class text NOT NULL,
  fleet text,
  engine_number text,
  enterprise text REFERENCES registry.enterprise (name),
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, plate)
);

CREATE TABLE registry.retrofit_task (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.enterprise (name),
  district_id text NOT NULL,
  enterprise_id text NOT NULL,
  id text NOT NULL,
  kind text NOT NULL,
  description text,
  equipment text REFERENCES registry.equipment (name),
  deadline date NOT NULL,
  completed_date date,
  seed_task text,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registry.emission_total (
  name text PRIMARY KEY,
  parent text NOT NULL REFERENCES registry.district (name),
  district_id text NOT NULL,
  id text NOT NULL,
  year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  pollutant text NOT NULL,
  tonnes double precision NOT NULL CHECK (tonnes >= 0),
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parent, year, pollutant)
);

-- Lists scan by parent in name order; district-wide reads by district_id.
CREATE INDEX township_parent ON registry.township (parent, name);
CREATE INDEX enterprise_parent ON registry.enterprise (parent, name);
CREATE INDEX production_line_parent ON registry.production_line (parent, name);
CREATE INDEX process_parent ON registry.process (parent, name);
CREATE INDEX equipment_parent ON registry.equipment (parent, name);
CREATE INDEX meter_parent ON registry.meter (parent, name);
CREATE INDEX camera_parent ON registry.camera (parent, name);
CREATE INDEX vehicle_parent ON registry.vehicle (parent, name);
CREATE INDEX retrofit_task_parent ON registry.retrofit_task (parent, name);
CREATE INDEX emission_total_parent ON registry.emission_total (parent, name);
CREATE INDEX meter_equipment ON registry.meter (equipment);
CREATE INDEX meter_line ON registry.meter (line);
CREATE INDEX retrofit_task_equipment ON registry.retrofit_task (equipment);
CREATE INDEX vehicle_enterprise ON registry.vehicle (enterprise);
