-- CEMS data received over HJ 212-2017 (issue 21). Devices (数采仪) are known by
-- their MN through the registry's monitoring points; what they send is kept
-- as evidence exactly as received, and decoded into values with their flags.
CREATE SCHEMA IF NOT EXISTS cems;

-- Every well-formed upload, once per (MN, command, DataTime): a device that
-- sends the same packet again (it does when an answer was lost) is counted as
-- a duplicate and not stored twice.
CREATE TABLE cems.packet (
  mn text NOT NULL,
  cn integer NOT NULL,
  data_time timestamptz NOT NULL,  -- DataTime, read as China time
  point text NOT NULL,             -- the registry's monitoring point
  received_at timestamptz NOT NULL,
  peer text NOT NULL,
  data text NOT NULL,              -- the data segment as received
  PRIMARY KEY (mn, cn, data_time)
);

-- The decoded values of each stored upload, per pollutant or parameter code.
CREATE TABLE cems.value (
  mn text NOT NULL,
  cn integer NOT NULL,
  data_time timestamptz NOT NULL,
  code text NOT NULL,  -- a34013 颗粒物, a21026 SO2, a21002 NOx, a00000 废气流量, a19001 O2 ...
  rtd double precision,
  avg double precision,
  min double precision,
  max double precision,
  cou double precision,
  zs_rtd double precision,
  zs_avg double precision,
  flag text NOT NULL DEFAULT '',
  PRIMARY KEY (mn, cn, data_time, code)
);

-- Every packet is counted: per device (MN; '' when the bytes named none) and
-- China day of receipt.
CREATE TABLE cems.daily_count (
  mn text NOT NULL,
  day date NOT NULL,
  accepted bigint NOT NULL DEFAULT 0,
  duplicate bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (mn, day)
);

-- Why packets were refused, with a bounded sample of the bytes.
CREATE TABLE cems.rejection (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL,
  peer text NOT NULL,
  mn text NOT NULL DEFAULT '',
  reason text NOT NULL,
  sample text NOT NULL DEFAULT ''
);
CREATE INDEX rejection_mn ON cems.rejection (mn, received_at);
