-- Where an enterprise is (WGS-84 degrees), for the district's map (issue 19):
-- optional, as every fact that may not have been recorded.
ALTER TABLE registry.enterprise
  ADD COLUMN longitude double precision CHECK (longitude BETWEEN 73 AND 136),
  ADD COLUMN latitude double precision CHECK (latitude BETWEEN 3 AND 54);
