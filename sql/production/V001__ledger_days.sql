-- Production ledger days (生产台账, issue 21): per registry production ledger
-- and China day, the product out and the fuel and raw material in, in the
-- definition's units, for material balance (物料衡算, T75). Evidence data:
-- stored once per (ledger, day); the same values again are a duplicate.
CREATE SCHEMA IF NOT EXISTS production;

CREATE TABLE production.ledger_day (
  ledger text NOT NULL,       -- districts/{d}/enterprises/{e}/productionLedgers/{l}
  district_id text NOT NULL,
  enterprise text NOT NULL,
  day date NOT NULL,          -- China day
  output double precision NOT NULL CHECK (output >= 0),
  fuel double precision NOT NULL CHECK (fuel >= 0),
  raw_material double precision NOT NULL CHECK (raw_material >= 0),
  source text NOT NULL,       -- the file (or stream source) it came in
  source_line bigint NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ledger, day)
);
CREATE INDEX ledger_day_district ON production.ledger_day (district_id, day);
