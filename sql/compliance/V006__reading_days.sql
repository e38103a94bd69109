-- Per (meter, China day) aggregates of compliance.reading (issue 20, item 2).
-- A season's verification reads these (a few hundred thousand rows) to find
-- where a check can fail, and reads raw readings only there, by key.
-- The ingest writes them in the same transaction as the readings, from the
-- batch it stores (one upsert per batch, set-based: a trigger per row cost
-- +45 % ingest time when measured). Readings are never updated by the
-- service; an UPDATE or DELETE made by hand recomputes the day it touches
-- (reading_day_refresh), so the aggregates never disagree with the rows.
CREATE TABLE compliance.reading_day (
  meter_id integer NOT NULL,
  day date NOT NULL,                   -- the China (UTC+8) day of the readings' time
  n integer NOT NULL,                  -- readings that day
  n_register integer NOT NULL,         -- CUMULATIVE_KWH readings among them
  min_kw double precision,             -- over its KW readings (NULL: none)
  max_kw double precision,
  sum_kw double precision,
  min_kwh double precision,            -- over its INTERVAL_KWH readings (NULL: none)
  max_kwh double precision,
  sum_kwh double precision,
  first_us bigint NOT NULL,            -- Unix microseconds of its first and last reading
  last_us bigint NOT NULL,
  max_gap_us bigint,                   -- the longest step between consecutive readings
                                       -- of the day (0 for one reading; NULL: not known)
  PRIMARY KEY (meter_id, day)
);

CREATE FUNCTION compliance.reading_day_refresh(meter integer, d date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM compliance.reading_day WHERE meter_id = meter AND day = d;
  INSERT INTO compliance.reading_day
  SELECT meter, d, count(*), count(*) FILTER (WHERE kind = 2),
         min(value) FILTER (WHERE kind = 3), max(value) FILTER (WHERE kind = 3),
         sum(value) FILTER (WHERE kind = 3),
         min(value) FILTER (WHERE kind = 1), max(value) FILTER (WHERE kind = 1),
         sum(value) FILTER (WHERE kind = 1),
         min(us), max(us), coalesce(max(us - prev), 0)
  FROM (SELECT kind, value, (extract(epoch FROM time) * 1000000)::int8 AS us,
               lag((extract(epoch FROM time) * 1000000)::int8) OVER (ORDER BY time) AS prev
        FROM compliance.reading
        WHERE meter_id = meter
          AND time >= (d::timestamp - interval '8 hours') AT TIME ZONE 'UTC'
          AND time < (d::timestamp + interval '16 hours') AT TIME ZONE 'UTC') r
  HAVING count(*) > 0;
END $$;

CREATE FUNCTION compliance.reading_day_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM compliance.reading_day_refresh(OLD.meter_id,
                                         ((OLD.time AT TIME ZONE 'UTC') + interval '8 hours')::date);
  IF TG_OP = 'UPDATE' THEN
    PERFORM compliance.reading_day_refresh(NEW.meter_id,
                                           ((NEW.time AT TIME ZONE 'UTC') + interval '8 hours')::date);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER reading_day_changed AFTER UPDATE OR DELETE ON compliance.reading
  FOR EACH ROW EXECUTE FUNCTION compliance.reading_day_changed();

-- The readings stored before this migration.
INSERT INTO compliance.reading_day
SELECT meter_id, day, count(*), count(*) FILTER (WHERE kind = 2),
       min(value) FILTER (WHERE kind = 3), max(value) FILTER (WHERE kind = 3),
       sum(value) FILTER (WHERE kind = 3),
       min(value) FILTER (WHERE kind = 1), max(value) FILTER (WHERE kind = 1),
       sum(value) FILTER (WHERE kind = 1),
       min(us), max(us), coalesce(max(us - prev), 0)
FROM (SELECT meter_id, kind, value, us, day,
             lag(us) OVER (PARTITION BY meter_id, day ORDER BY us) AS prev
      FROM (SELECT meter_id, kind, value, (extract(epoch FROM time) * 1000000)::int8 AS us,
                   ((time AT TIME ZONE 'UTC') + interval '8 hours')::date AS day
            FROM compliance.reading) x) r
GROUP BY meter_id, day;
