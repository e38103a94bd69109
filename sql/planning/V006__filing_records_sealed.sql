-- Issue 13: the chain's hashes cover every column a reader relies on.
--
-- Each filing and each acknowledgement keeps a sealed record: the values of
-- its columns (and, for a filing, of its list version's frozen columns) as
-- "name=length:value\n" lines, with the record's SHA-256 beside it. `cuofeng
-- filing verify` recomputes the record's hash and compares every sealed value
-- with the row as it is now, so a single edited column is named. Entries are
-- covered by their body's hash (entry_sha256) and by verify comparing their
-- enterprise, resource, kind and district columns with the hashed body.
--
-- Rows filed before this migration are sealed here, from their current
-- values, so they keep verifying and are covered from now on.

CREATE FUNCTION planning.seal_field(name text, value text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
  SELECT name || '=' || octet_length(coalesce(value, '')) || ':' || coalesce(value, '') || E'\n'
$$;

ALTER TABLE planning.filing ADD COLUMN record text NOT NULL DEFAULT '';
ALTER TABLE planning.filing ADD COLUMN record_sha256 text NOT NULL DEFAULT '';
ALTER TABLE planning.acknowledgement ADD COLUMN record text NOT NULL DEFAULT '';
ALTER TABLE planning.acknowledgement ADD COLUMN record_sha256 text NOT NULL DEFAULT '';

ALTER TABLE planning.filing DISABLE TRIGGER filing_append_only;
UPDATE planning.filing f SET record =
    planning.seal_field('district_id', f.district_id)
 || planning.seal_field('seq', f.seq::text)
 || planning.seal_field('list', f.list)
 || planning.seal_field('content_sha256', f.content_sha256)
 || planning.seal_field('entry_count', f.entry_count::text)
 || planning.seal_field('previous_sha256', f.previous_sha256)
 || planning.seal_field('sha256', f.sha256)
 || planning.seal_field('submitted_by', f.submitted_by)
 || planning.seal_field('submit_time', ((extract(epoch FROM f.submit_time) * 1000000)::bigint)::text)
 || planning.seal_field('late', CASE WHEN f.late THEN 'true' ELSE 'false' END)
 || planning.seal_field('amends', coalesce(f.amends, ''))
 || planning.seal_field('reason', coalesce(f.reason, ''))
 || planning.seal_field('list_version.season', v.season)
 || planning.seal_field('list_version.content_sha256', v.content_sha256)
 || planning.seal_field('list_version.summary', encode(sha256(v.summary), 'hex'))
 || planning.seal_field('list_version.amends', coalesce(v.amends, ''))
 || planning.seal_field('list_version.amendment_reason', coalesce(v.amendment_reason, ''))
  FROM planning.list_version v WHERE v.name = f.list;
UPDATE planning.filing SET record_sha256 = encode(sha256(convert_to(record, 'UTF8')), 'hex');
ALTER TABLE planning.filing ENABLE TRIGGER filing_append_only;

ALTER TABLE planning.acknowledgement DISABLE TRIGGER acknowledgement_append_only;
UPDATE planning.acknowledgement a SET record =
    planning.seal_field('list', a.list)
 || planning.seal_field('acknowledged_by', a.acknowledged_by)
 || planning.seal_field('acknowledge_time',
                        ((extract(epoch FROM a.acknowledge_time) * 1000000)::bigint)::text)
 || planning.seal_field('filing.sha256', f.sha256)
  FROM planning.filing f WHERE f.list = a.list;
UPDATE planning.acknowledgement
   SET record_sha256 = encode(sha256(convert_to(record, 'UTF8')), 'hex');
ALTER TABLE planning.acknowledgement ENABLE TRIGGER acknowledgement_append_only;
